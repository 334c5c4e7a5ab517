"""Call-to-text: instead of waiting, the caller takes a single-use booking link by text
message (WhatsApp when the number chats with us within WhatsApp's window, else SMS) and
the call ends politely. The link goes to the number that called, never to one the caller
names, so a forged caller ID sends nothing to the forger. Counted as `deflected_to_text`.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from core.errors import DomainError
from core.patients.identity import normalize_phone
from core.vocab import CallOutcome, LinkOrigin
from ivr.turn import Turn, reachable

TEXT_KEY = "5"  # in the main menu
QUEUE_TEXT_KEY = "2"  # while waiting for the desk (1 is the callback)


def can_text(turn: Turn) -> bool:
    """Whether a link can go to this caller: links on, and a number we could write to."""
    return turn.services.links is not None and reachable(turn.call.caller)


async def text_link(turn: Turn) -> bool:
    """Queue the booking link to the caller's number; whether it went (the caller hears
    so). Any service the web books; the card when the caller was identified."""
    links = turn.services.links
    if links is None or not reachable(turn.call.caller):
        return False
    try:
        phone = normalize_phone(turn.call.caller)
        issued = await links.issue(
            origin=LinkOrigin.CALL,
            created_by="phone",
            patient_id=turn.call.patient_id,
            phone=None if turn.call.patient_id is not None else phone,
            language=turn.call.language,
        )
        await links.send(issued.link_id, await links.channel_for(phone), phone)
    except DomainError:  # a number no phone could text (a landline's odd form)
        return False
    turn.data["texted"] = True
    turn.call.outcome = CallOutcome.TEXTED
    turn.call.visit("texted")
    return True


def text_goodbye(turn: Turn) -> None:
    """The goodbye once the link is on its way, and the end of the call."""
    turn.say(
        turn.texts._(
            "We have sent you a text message with a link to book a visit. "
            "Thank you for calling. Goodbye."
        )
    )
    turn.state["step"] = "goodbye"
    turn.final = VoiceResponse()
    turn.final.hangup()
