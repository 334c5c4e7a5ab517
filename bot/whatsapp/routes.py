"""POST /twilio/whatsapp: a patient's WhatsApp message in, the Dialog's replies out.

Order of checks: configured (else 404), signed by Twilio over the public URL
(else 403, nothing stored), well-formed (else 400). The replies are sent
through the REST API while the webhook waits (a reply to an inbound message
is always inside the 24-hour window), within a budget that keeps the answer
under Twilio's 15 s; a failed send is logged by code and the webhook still
answers 200 with an empty TwiML `<Response/>`. If the Dialog itself fails,
the delivery is forgotten and the answer is 500, so Twilio's retry is handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from bot.chat import Reply
from bot.keys import DIALOG
from bot.whatsapp.inbound import InvalidInbound, parse_inbound
from bot.whatsapp.notify import TwilioTexts
from bot.whatsapp.render import render_turn
from core.vocab import Channel, ContactKind
from edge.twilio_rest import (
    OutsideSessionWindow,
    RetryPolicy,
    TwilioAccount,
    TwilioClient,
    TwilioError,
    open_client,
)
from edge.twilio_signature import SIGNATURE_HEADER, form_params, is_signed, public_url
from frontdesk.keys import SETTINGS
from frontdesk.settings import Settings

log = logging.getLogger(__name__)

PATH = "/twilio/whatsapp"
SEND_BUDGET_SECONDS = 10.0  # Twilio waits 15 s for the webhook, the Dialog's time included

TWILIO = web.AppKey("twilio_whatsapp", TwilioClient)
TWILIO_SMS = web.AppKey("twilio_sms", TwilioClient)
TWILIO_RETRY = web.AppKey("twilio_retry", RetryPolicy)  # tests swap in one that never sleeps


def setup(app: web.Application) -> None:
    """The webhook route, and the REST client's lifecycle (opened only when configured)."""
    app[TWILIO_RETRY] = RetryPolicy()
    app.router.add_post(PATH, whatsapp_webhook, name="twilio_whatsapp")
    app.cleanup_ctx.append(_client_ctx)
    app.on_startup.append(register_contacts)


def account_of(settings: Settings) -> TwilioAccount | None:
    """The sending account, or None while any of WhatsApp's settings is missing."""
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    sender, public = settings.twilio_whatsapp_from, settings.public_base_url
    if not (sid and token and sender and public):
        return None
    return TwilioAccount(sid=sid, token=token, sender=sender, api_base=settings.twilio_api_base)


async def _client_ctx(app: web.Application) -> AsyncIterator[None]:
    """The REST clients: WhatsApp's (replies, codes) and, with TWILIO_SMS_FROM, SMS's."""
    settings = app[SETTINGS]
    async with AsyncExitStack() as stack:
        account = account_of(settings)
        if account is not None:
            app[TWILIO] = await stack.enter_async_context(open_client(account, app[TWILIO_RETRY]))
        sid, token = settings.twilio_account_sid, settings.twilio_auth_token
        if sid and token and settings.twilio_sms_from:
            sms = TwilioAccount(sid, token, settings.twilio_sms_from, settings.twilio_api_base)
            app[TWILIO_SMS] = await stack.enter_async_context(open_client(sms, app[TWILIO_RETRY]))
        yield


async def register_contacts(app: web.Application) -> None:
    """Let the courier reach a card's WhatsApp number and phone (linking codes)."""
    courier = app[DIALOG].services.courier
    if courier is None:
        return
    if TWILIO in app:
        courier.register(ContactKind.WHATSAPP, TwilioTexts(app[TWILIO]))
    if TWILIO_SMS in app:
        courier.register(ContactKind.PHONE, TwilioTexts(app[TWILIO_SMS]))


async def whatsapp_webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    client = request.app.get(TWILIO)
    if client is None or settings.public_base_url is None:
        raise web.HTTPNotFound()
    try:
        form = form_params((await request.post()).items())
    except (ValueError, LookupError):  # undecodable or an unknown charset: not from Twilio
        raise web.HTTPBadRequest(reason="malformed form") from None
    url = public_url(settings.public_base_url, request.path_qs)
    if not is_signed(client.account.token, url, form, request.headers.get(SIGNATURE_HEADER)):
        log.warning("whatsapp webhook refused: missing or wrong signature")
        raise web.HTTPForbidden()
    try:
        incoming = parse_inbound(form)
    except InvalidInbound as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    dialog = request.app[DIALOG]
    try:
        replies = await dialog.handle(incoming)
    except Exception:
        log.exception("whatsapp: the dialog failed on %s", incoming.delivery_id)
        await _forget(request.app, incoming.delivery_id)
        raise web.HTTPInternalServerError() from None
    await send_replies(client, incoming.chat_id, replies)
    return web.Response(text=str(MessagingResponse()), content_type="text/xml")


async def send_replies(client: TwilioClient, to: str, replies: list[Reply]) -> int:
    """Send the replies in order; stop at the first failure (logged). Returns how many went."""
    bodies = render_turn(replies)
    sent = 0
    failure: str | None = None
    try:
        async with asyncio.timeout(SEND_BUDGET_SECONDS):
            for body in bodies:
                await client.send(to, body)
                sent += 1
    except OutsideSessionWindow:
        failure = "outside the 24-hour window (63016)"
    except TwilioError as error:
        failure = f"twilio code {error.code}, HTTP {error.status}"
    except TimeoutError:
        failure = f"over the {SEND_BUDGET_SECONDS:g} s budget"
    except Exception:
        log.exception("whatsapp replies: unexpected failure")
        failure = "unexpected failure"
    if failure:
        log.warning(
            "whatsapp replies: %s; %d of %d not sent", failure, len(bodies) - sent, len(bodies)
        )
    return sent


async def _forget(app: web.Application, delivery_id: str) -> None:
    try:
        await app[DIALOG].services.conversations.forget_delivery(Channel.WHATSAPP, delivery_id)
    except Exception:
        log.exception("whatsapp: could not forget delivery %s; Twilio's retry is lost", delivery_id)
