"""A Telegram update as an `Incoming` (bot/telegram/translate.py), pure: texts, deep links,
button presses, the patient's own contact, and what is not the patient's."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update

from bot.chat import MAX_TEXT_CHARS
from bot.telegram.translate import translate
from core.vocab import Channel
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID


def incoming_of(update: dict[str, Any]) -> Any:
    return translate(Update.model_validate(update))


def test_translate_a_text_message(fake: FakeTelegram) -> None:
    update = fake.text_update("Dzień dobry", language_code="uk")

    incoming = incoming_of(update)

    assert incoming.channel == Channel.TELEGRAM
    assert incoming.chat_id == str(PATIENT_ID)
    assert incoming.delivery_id == str(update["update_id"])
    assert incoming.text == "Dzień dobry"
    assert incoming.payload is None
    assert incoming.shared_phone is None
    assert incoming.language_hint == "uk"


def test_translate_keeps_the_deep_link_payload(fake: FakeTelegram) -> None:
    assert incoming_of(fake.start_update("ref_AB-12")).text == "/start ref_AB-12"


def test_translate_cuts_overlong_text(fake: FakeTelegram) -> None:
    incoming = incoming_of(fake.text_update("x" * (MAX_TEXT_CHARS + 500)))

    assert incoming.text == "x" * MAX_TEXT_CHARS


def test_translate_a_button_press(fake: FakeTelegram) -> None:
    update = fake.callback_update("slot:2026-12-01T08:15:CONS", language_code="en")

    incoming = incoming_of(update)

    assert incoming.payload == "slot:2026-12-01T08:15:CONS"
    assert incoming.text is None
    assert incoming.chat_id == str(PATIENT_ID)
    assert incoming.language_hint == "en"


@pytest.mark.parametrize("phone", ["48501234567", "+48501234567"])
def test_translate_the_patients_own_contact(fake: FakeTelegram, phone: str) -> None:
    incoming = incoming_of(fake.contact_update(phone))

    assert incoming.shared_phone == "+48501234567"


@pytest.mark.parametrize("contact_user_id", [PATIENT_ID + 1, None])
def test_a_forwarded_contact_is_not_the_patients_phone(
    fake: FakeTelegram, contact_user_id: int | None
) -> None:
    incoming = incoming_of(fake.contact_update("48609000111", contact_user_id=contact_user_id))

    assert incoming is not None  # the dialog still hears that something came
    assert incoming.shared_phone is None
    assert incoming.text is None
    assert incoming.extras == {"content_type": "contact"}


def test_translate_ignores_what_is_not_the_patients(fake: FakeTelegram) -> None:
    group = {"id": -1001, "type": "group", "title": "Family"}
    bot_sender = fake.text_update("hi")
    bot_sender["message"]["from"]["is_bot"] = True

    assert incoming_of(fake.text_update("hi", chat=group)) is None
    assert incoming_of(bot_sender) is None
    assert incoming_of({"update_id": 9}) is None
