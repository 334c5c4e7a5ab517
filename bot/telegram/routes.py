"""The Telegram webhook, and `setup`, which mounts the whole Telegram face on the app.

The webhook checks the secret header before it reads anything (401, nothing
stored), refuses what is not an update (400), and answers 200 once the
dialog's turn is committed; the replies are sent after that, in order per
chat (`bot.telegram.sends`). Only a dialog failure is a 500,
so that Telegram redelivers an update the dialog has forgotten.
"""

from __future__ import annotations

import json
import logging
import secrets
from functools import partial

from aiogram.types import Update
from aiogram.utils.token import TokenValidationError, validate_token
from aiohttp import web
from pydantic import ValidationError

from bot.keys import DIALOG
from bot.telegram.answer import DialogFailed, decide, deliver
from bot.telegram.config import TelegramConfig
from bot.telegram.keys import BOT, CONFIG, SENDS
from bot.telegram.lifecycle import (
    WEBHOOK_PATH,
    bot_ctx,
    register_contacts,
    register_webhook,
    start_polling,
    stop_polling,
)
from bot.telegram.outbox import Outbox
from edge.errors import error_body
from edge.responses import json_response

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a name, not a secret)


def setup(app: web.Application, config: TelegramConfig) -> None:
    """Mount Telegram as configured: webhook with a public URL, else polling; off with no token.

    The webhook route exists only with a bot token and a webhook secret (else
    404). A malformed token or a public URL without a secret turns Telegram
    off with an error in the log; the rest of the app still runs.
    """
    token = config.token
    if not token:
        return
    try:
        validate_token(token)
    except TokenValidationError:
        log.error("TELEGRAM_BOT_TOKEN is not a bot token (digits:letters); Telegram is off")
        return
    secret = config.webhook_secret
    if config.public_base_url and not secret:
        log.error(
            "TELEGRAM_WEBHOOK_SECRET is needed for the webhook at PUBLIC_BASE_URL; Telegram is off"
        )
        return
    app[CONFIG] = config
    app.cleanup_ctx.append(bot_ctx)
    app.on_startup.append(register_contacts)
    if secret:
        app.router.add_post(WEBHOOK_PATH, webhook)
    if config.public_base_url:
        app.on_startup.append(register_webhook)
    else:
        app.on_startup.append(start_polling)
        app.on_shutdown.append(stop_polling)


async def webhook(request: web.Request) -> web.Response:
    app = request.app
    expected = app[CONFIG].webhook_secret
    given = request.headers.get(SECRET_HEADER)
    if (
        expected is None
        or given is None
        or not secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode())
    ):
        return json_response(
            error_body("unauthorized", "wrong or missing secret token"), status=401
        )
    bot = app[BOT]
    try:
        data = json.loads(await request.read())
    except (ValueError, RecursionError):
        return json_response(error_body("invalid_json", "the body is not JSON"), status=400)
    try:
        update = Update.model_validate(data, context={"bot": bot})
    except ValidationError:  # its text would quote the body: not logged, not returned
        return json_response(
            error_body("invalid_update", "the body is not a Telegram update"), status=400
        )
    try:
        answer = await decide(update, app[DIALOG])
    except DialogFailed:
        log.exception("telegram: the dialog failed on an update; Telegram will redeliver it")
        return json_response(error_body("internal_error", "internal server error"), status=500)
    app[SENDS].submit(answer.chat_id, partial(deliver, answer, Outbox(bot)))
    return json_response({})
