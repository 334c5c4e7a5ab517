"""A Twilio WhatsApp webhook's form fields as the channel-neutral `Incoming` (pure).

Twilio posts `MessageSid, AccountSid, From, To, Body, NumMedia, ProfileName,
WaId, ...`; a reply to a template's quick-reply button adds `ButtonPayload`
and `ButtonText` (reported, not confirmed: the typed text stays the fallback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.chat import MAX_PAYLOAD_BYTES, MAX_TEXT_CHARS, Incoming
from core.vocab import Channel

WHATSAPP_PREFIX = "whatsapp:"
_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # "SM" + 32 hex in practice; the dedupe key is ≤ 64
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class InvalidInbound(ValueError):
    """A required field is missing or malformed; `field` names it (never its value)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"missing or invalid {field}")
        self.field = field


def parse_inbound(form: Mapping[str, str]) -> Incoming:
    """The patient's action; the From number is vouched for by WhatsApp, so it is shared."""
    sid = form.get("MessageSid", "")
    if not _SID.fullmatch(sid):
        raise InvalidInbound("MessageSid")
    sender = form.get("From", "")
    number = sender.removeprefix(WHATSAPP_PREFIX)
    if not sender.startswith(WHATSAPP_PREFIX) or not _E164.fullmatch(number):
        raise InvalidInbound("From")
    body = form.get("Body")
    if body is None:
        raise InvalidInbound("Body")
    text = body or form.get("ButtonText", "")
    extras = {"num_media": form["NumMedia"]} if form.get("NumMedia", "0") != "0" else {}
    return Incoming(
        channel=Channel.WHATSAPP,
        chat_id=number,
        delivery_id=sid,
        text=text[:MAX_TEXT_CHARS],
        payload=_payload(form.get("ButtonPayload")),
        shared_phone=number,
        extras=extras,
    )


def _payload(value: str | None) -> str | None:
    """A quick-reply payload fit for the Dialog (1-64 bytes), else None (text decides)."""
    if value and len(value.encode()) <= MAX_PAYLOAD_BYTES:
        return value
    return None
