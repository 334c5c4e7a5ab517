"""POST /twilio/sms: a text message to the clinic's number, answered in TwiML.

Order of checks: configured (the auth token and the public URL, else 404), a readable
form (else 400), signed by Twilio over the public URL (else 403, nothing read or stored),
well-formed (MessageSid, an E.164 sender, a body of at most 1600 characters, else 400).
Then `core.messaging.sms_replies` does what it says in one transaction, and the answer
goes back to the number in the TwiML `<Message>`: Twilio sends it to the sender, which
is the card's own number when the reply was tied to a visit. The answer says what was
done and nothing the message it answers did not say; a number we never texted gets no
answer but to STOP, START and HELP.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from core.messaging.sms_replies import MAX_BODY, Did, SmsAnswer
from edge.i18n import Texts
from edge.text import clean
from edge.twilio_signature import SIGNATURE_HEADER, form_params, is_signed, public_url
from ivr.keys import SMS_REPLIES

log = logging.getLogger(__name__)

PATH = "/twilio/sms"
_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")


def setup(app: web.Application, auth_token: str | None, public_base_url: str | None) -> None:
    app.router.add_post(PATH, _webhook(auth_token, public_base_url), name="twilio_sms")


def _webhook(
    auth_token: str | None, public_base_url: str | None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def sms_webhook(request: web.Request) -> web.Response:
        if not auth_token or not public_base_url or SMS_REPLIES not in request.app:
            raise web.HTTPNotFound()
        try:
            form = form_params((await request.post()).items())
        except (ValueError, LookupError):  # undecodable or an unknown charset: not from Twilio
            raise web.HTTPBadRequest(reason="malformed form") from None
        url = public_url(public_base_url, request.path_qs)
        if not is_signed(auth_token, url, form, request.headers.get(SIGNATURE_HEADER)):
            log.warning("sms webhook refused: missing or wrong signature")
            raise web.HTTPForbidden()
        sid, sender, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
        if not _SID.fullmatch(sid):
            raise web.HTTPBadRequest(reason="missing or invalid MessageSid")
        if not _NUMBER.fullmatch(sender):
            raise web.HTTPBadRequest(reason="missing or invalid From")
        if len(body) > MAX_BODY:
            raise web.HTTPBadRequest(reason="Body longer than 1600 characters")
        answer = await request.app[SMS_REPLIES].handle(sender, sid, clean(body, MAX_BODY))
        response = MessagingResponse()
        text = words(answer) if answer is not None else ""
        if text:
            response.message(text)
        return web.Response(text=str(response), content_type="text/xml")

    return sms_webhook


def words(answer: SmsAnswer) -> str:
    """The answer in the patient's language; empty when none is due."""
    _ = Texts(answer.language)._
    clinic, phone, date, time = answer.clinic, answer.phone, answer.date, answer.time
    match answer.did:
        case Did.CONFIRMED:
            return _(
                "{clinic}: thank you, your visit on {date} at {time} is confirmed.",
                clinic=clinic,
                date=date,
                time=time,
            )
        case Did.CANCELLED:
            return _(
                "{clinic}: your visit on {date} at {time} has been cancelled. "
                "If it was not you, please call {phone}.",
                clinic=clinic,
                date=date,
                time=time,
                phone=phone,
            )
        case Did.MOVE_LINK:
            return _("{clinic}: we are sending you a link to choose another time.", clinic=clinic)
        case Did.MOVE_ASK:
            return _(
                "{clinic}: to move your visit, please call {phone} or write to us in the chat.",
                clinic=clinic,
                phone=phone,
            )
        case Did.STOPPED:
            return _(
                "{clinic}: you will get no more reminders or offers by text message. "
                "Reply START to get them again.",
                clinic=clinic,
            )
        case Did.STARTED:
            return _("{clinic}: you will get reminders by text message again.", clinic=clinic)
        case Did.HELP:
            return _(
                "{clinic}: to a reminder reply YES to confirm, NO to cancel, MOVE to choose "
                "another time; STOP: no more messages. Phone: {phone}.",
                clinic=clinic,
                phone=phone,
            )
        case Did.UNMATCHED:
            return _(
                "{clinic}: we could not match your reply to a visit it can still change. "
                "Please call {phone}.",
                clinic=clinic,
                phone=phone,
            )
    return ""
