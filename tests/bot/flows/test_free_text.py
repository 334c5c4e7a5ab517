"""Free text in the menu and at the service question, understood in four languages and
both alphabets before any hand-over, with what was found said back."""

from __future__ import annotations

import pytest

from core.messaging.escalation import EscalationService
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def _chat(db, clock, language: str, chat_id: str) -> Chat:
    chat = Chat(make_dialog(db, clock), chat_id=chat_id, language=language)
    await chat.send("/start")
    return chat


@pytest.mark.parametrize(
    ("language", "typed", "found"),
    [
        ("pl", "Chciałbym do pediatry", "Znaleziono"),
        ("uk", "хочу до педіатра", "Знайдено"),
        ("ru", "нужен педиатр", "Найдено"),
        ("en", "I want to see a pediatrician", "Found"),
    ],
)
async def test_a_specialty_typed_in_the_menu_starts_the_booking_there(
    db, clock, language, typed, found
):
    await small_clinic(db, clock)
    chat = await _chat(db, clock, language, f"701{language}")
    await chat.send(typed)
    assert found in chat.text
    assert "Pediatria" in chat.text  # the specialty matched is said back
    assert chat.first_button("newdep")  # its one service chosen, for children: for whom?


@pytest.mark.parametrize("typed", ["терапевт", "internist", "internista"])
async def test_a_specialty_with_several_services_offers_them(db, clock, typed):
    c = await small_clinic(db, clock)
    chat = await _chat(db, clock, "en", "702")
    await chat.send(payload="m:book")
    await chat.send(typed)
    assert "Choroby wewnętrzne" in chat.text
    assert chat.first_button(f"svc:{c.consult.id}")
    assert chat.first_button(f"svc:{c.long_consult.id}")


@pytest.mark.parametrize("typed", ["Ковальська", "Ковальская", "kowalsk"])
async def test_a_doctor_in_either_alphabet_is_found_and_named(db, clock, typed):
    await small_clinic(db, clock)
    chat = await _chat(db, clock, "uk", "703")
    await chat.send(payload="m:book")
    await chat.send(typed)
    assert "Kowalska" in chat.text


@pytest.mark.parametrize(
    ("language", "typed", "expect"),
    [
        ("pl", "moje wizyty", "Nie znam jeszcze"),
        ("uk", "мої візити", "Я ще не знаю"),
        ("ru", "часы работы", "Mokotów"),
        ("en", "what are your opening hours", "ul. Puławska 1"),
    ],
)
async def test_the_main_intents_in_four_languages(db, clock, language, typed, expect):
    await small_clinic(db, clock)
    chat = await _chat(db, clock, language, f"704{language}")
    await chat.send(typed)
    assert expect in chat.text
    assert chat.first_button("m:book")


async def test_greetings_and_asking_for_a_person_are_no_misunderstanding(db, clock):
    await small_clinic(db, clock)
    chat = await _chat(db, clock, "uk", "705")
    for greeting in ("привіт", "Dzień dobry", "hello"):
        await chat.send(greeting)
        assert chat.first_button("m:book")
    desk = EscalationService(db, clock)
    assert await desk.active(Channel.TELEGRAM, "705") is None
    await chat.send("хочу поговорити з людиною")
    case = await desk.active(Channel.TELEGRAM, "705")
    assert case is not None
    assert case.reason == "asked"
