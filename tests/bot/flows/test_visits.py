"""Cancelling a visit names it and asks once, with a way to keep it; leaving a question is
never worded as cancelling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Booking
from core.vocab import BookingStatus
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def _booked(db, clock, language: str) -> Chat:
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=language)
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    await chat.send(payload=chat.first_button("ok"))
    return chat


async def _status(db):
    async with db.read() as session:
        return (await session.execute(select(Booking.status))).scalar_one()


@pytest.mark.parametrize(
    ("language", "cancel", "leave"),
    [
        ("pl", "Odwołaj", "Nie teraz"),
        ("uk", "Скасувати", "Не зараз"),
        ("ru", "Отменить", "Не сейчас"),
        ("en", "Cancel", "Not now"),
    ],
)
async def test_the_confirmation_is_left_with_not_now_never_cancel(
    db, clock, language, cancel, leave
):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=language)
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    assert not any(cancel in label for label in chat.buttons())
    await chat.press(leave)
    assert chat.first_button("m:book")


async def test_cancelling_names_the_visit_and_can_be_taken_back(db, clock):
    chat = await _booked(db, clock, "en")
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    assert "Konsultacja" in chat.text
    assert "2 December 2026, 08:00" in chat.text
    await chat.press("Keep my visit")
    assert await _status(db) is BookingStatus.BOOKED
    assert "stays booked" in chat.text

    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    await chat.send(payload=chat.first_button("why:plans"))
    assert await _status(db) is BookingStatus.CANCELLED
    assert "cancelled" in chat.text
    assert "2 December 2026, 08:00" in chat.text
    assert chat.first_button("m:book")
