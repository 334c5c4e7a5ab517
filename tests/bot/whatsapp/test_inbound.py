"""A Twilio WhatsApp form as an `Incoming` (bot/whatsapp/inbound.py), pure: long bodies cut,
media noted, and a refusal that names the field, never its value."""

from __future__ import annotations

import pytest

from bot.chat import MAX_TEXT_CHARS
from bot.whatsapp.inbound import InvalidInbound, parse_inbound
from testkit.fakes.twilio import inbound_whatsapp


def test_an_overlong_body_is_cut_for_the_dialog() -> None:
    incoming = parse_inbound(inbound_whatsapp("ą" * (MAX_TEXT_CHARS + 10)))

    assert incoming.text == "ą" * MAX_TEXT_CHARS


def test_media_is_noted_for_the_dialog() -> None:
    incoming = parse_inbound(inbound_whatsapp("", NumMedia="1", MediaContentType0="image/jpeg"))

    assert incoming.text == ""
    assert incoming.extras == {"num_media": "1"}


def test_a_refusal_names_the_field_never_the_value() -> None:
    with pytest.raises(InvalidInbound) as caught:
        parse_inbound({**inbound_whatsapp(), "From": "whatsapp:+48 501 234 567"})

    assert caught.value.field == "From"
    assert "501" not in str(caught.value)
