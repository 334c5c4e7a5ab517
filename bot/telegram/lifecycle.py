"""The Telegram client's life inside the app: one `Bot` per app, built at start, closed at stop.

The `Bot` is a `cleanup_ctx` (the app's resource). Registering the webhook,
polling, and lending the bot to the courier are `on_startup` / `on_shutdown`
hooks: those run after every `cleanup_ctx` has started and before any is
cleaned up, so the dialog and its database exist while updates can arrive.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import partial

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.types import Update
from aiohttp import web

from bot.keys import DIALOG
from bot.telegram.answer import answer_update
from bot.telegram.config import TelegramConfig
from bot.telegram.contacts import TelegramChats
from bot.telegram.keys import BOT, CONFIG, POLLER, SENDS
from bot.telegram.outbox import Outbox, describe
from bot.telegram.polling import ALLOWED_UPDATES, Poller
from bot.telegram.sends import ChatQueues
from core.vocab import ContactKind

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
REQUEST_TIMEOUT = 10.0  # seconds per Bot API call; the webhook's request waits for our sends
MAX_CONNECTIONS = 40  # parallel webhook requests Telegram may open (its default)


class Session(AiohttpSession):
    """aiogram's session without its fixed 250 ms pause on close (a workaround for older
    aiohttp): the aiohttp we run waits in `ClientSession.close()` for its connections,
    TLS ones included, to close. Every stop of the app (and test) was 250 ms slower."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(config: TelegramConfig) -> Bot:
    """The client: plain text by default, pointed at another Bot API server when set."""
    assert config.token is not None
    api = TelegramAPIServer.from_base(config.api_server) if config.api_server else PRODUCTION
    return Bot(
        config.token,
        session=Session(api=api, timeout=REQUEST_TIMEOUT),
        default=DefaultBotProperties(parse_mode=None),
    )


async def bot_ctx(app: web.Application) -> AsyncIterator[None]:
    bot = make_bot(app[CONFIG])
    app[BOT] = bot
    app[SENDS] = sends = ChatQueues()
    try:
        yield
    finally:
        await sends.close()
        await bot.session.close()


async def register_webhook(app: web.Application) -> None:
    """Tell Telegram where to post; a failure is logged, the app still starts."""
    config = app[CONFIG]
    assert config.public_base_url is not None
    url = config.public_base_url + WEBHOOK_PATH
    try:
        await app[BOT].set_webhook(
            url=url,
            secret_token=config.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=MAX_CONNECTIONS,
        )
    except (TelegramAPIError, ClientDecodeError) as exc:
        log.error("telegram: setWebhook failed (%s); no updates until it is set", describe(exc))
    else:
        log.info("telegram: updates are posted to %s", url)


async def register_contacts(app: web.Application) -> None:
    """Let the courier reach Telegram chats linked to a card (linking codes)."""
    courier = app[DIALOG].services.courier
    if courier is not None:
        courier.register(ContactKind.TELEGRAM, TelegramChats(app[BOT]))


async def start_polling(app: web.Application) -> None:
    bot = app[BOT]
    poller = Poller(bot, partial(_answer, app))
    app[POLLER] = poller
    poller.start()
    log.info("telegram: no PUBLIC_BASE_URL, long polling for updates")


async def stop_polling(app: web.Application) -> None:
    poller = app.get(POLLER)
    if poller is not None:
        await poller.stop()


async def _answer(app: web.Application, update: Update) -> None:
    await answer_update(update, app[DIALOG], Outbox(app[BOT]))
