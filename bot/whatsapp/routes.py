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
from collections.abc import Awaitable, Callable

from aiohttp import web
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from bot.chat import Reply
from bot.keys import DIALOG
from bot.whatsapp.inbound import InvalidInbound, parse_inbound
from bot.whatsapp.keys import CLIENT, SMS_CLIENT
from bot.whatsapp.notify import TwilioTexts
from bot.whatsapp.render import render_turn
from core.vocab import Channel, ContactKind
from edge.twilio_rest import (
    OutsideSessionWindow,
    TwilioClient,
    TwilioError,
)
from edge.twilio_signature import SIGNATURE_HEADER, form_params, is_signed, public_url

log = logging.getLogger(__name__)

PATH = "/twilio/whatsapp"
SEND_BUDGET_SECONDS = 10.0  # Twilio waits 15 s for the webhook, the Dialog's time included


def setup(app: web.Application, public_base_url: str | None) -> None:
    """The webhook route (Twilio signs over `public_base_url`) and the courier's contacts."""
    app.router.add_post(PATH, webhook(public_base_url), name="twilio_whatsapp")
    app.on_startup.append(register_contacts)


async def register_contacts(app: web.Application) -> None:
    """Let the courier reach a card's WhatsApp number and phone (linking codes)."""
    courier = app[DIALOG].services.courier
    if courier is None:
        return
    if CLIENT in app:
        courier.register(ContactKind.WHATSAPP, TwilioTexts(app[CLIENT]))
    if SMS_CLIENT in app:
        courier.register(ContactKind.PHONE, TwilioTexts(app[SMS_CLIENT]))


def webhook(public_base_url: str | None) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def whatsapp_webhook(request: web.Request) -> web.Response:
        return await answer(request, public_base_url)

    return whatsapp_webhook


async def answer(request: web.Request, public_base_url: str | None) -> web.Response:
    client = request.app.get(CLIENT)
    if client is None or public_base_url is None:
        raise web.HTTPNotFound()
    try:
        form = form_params((await request.post()).items())
    except (ValueError, LookupError):  # undecodable or an unknown charset: not from Twilio
        raise web.HTTPBadRequest(reason="malformed form") from None
    url = public_url(public_base_url, request.path_qs)
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
