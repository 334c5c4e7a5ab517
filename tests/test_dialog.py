"""Patient journeys through the channel-neutral dialog, in every language."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.models import Booking, Escalation, Patient
from core.vocab import BookingStatus, Channel
from tests.chat import Patient as Chat
from tests.chat import make_dialog
from tests.factories import small_clinic


async def _one(db, model):
    async with db.read() as session:
        return list((await session.execute(select(model))).scalars())


async def test_language_is_asked_when_unknown_and_kept(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=None)
    await chat.send("hi")
    assert "Українська" in chat.buttons()
    await chat.press("Українська")
    assert "Записатися" in chat.text or "Записатися" in " ".join(chat.buttons())


@pytest.mark.parametrize(
    ("language", "book", "confirm", "weekday"),
    [
        ("pl", "Umów", "Potwierdź", "środa, 2 grudnia"),
        ("uk", "Записатися", "Підтвердити", "середа"),
        ("ru", "Записаться", "Подтвердить", "среда"),
        ("en", "Book", "Confirm", "Wednesday, 2 December"),
    ],
)
async def test_book_move_and_cancel_in_each_language(db, clock, language, book, confirm, weekday):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=language)
    await chat.send("/start")
    await chat.press(book)
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert weekday in " ".join(chat.buttons())
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    assert "08:00" in chat.text  # 07:00 UTC shown in Warsaw time
    assert "150,00" in chat.text or "150.00" in chat.text
    await chat.press(confirm)
    [booking] = await _one(db, Booking)
    assert booking.source is Channel.TELEGRAM
    assert booking.start_at.isoformat() == "2026-12-02T07:00:00+00:00"
    [patient] = await _one(db, Patient)
    assert (patient.first_name, patient.birth_date, patient.language) == (
        "Anna",
        date(1987, 5, 24),
        language,
    )

    # Move it to the next free time, same service.
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("mv:"))
    await chat.send(payload=chat.first_button("day:2026-12-03"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.press(confirm)
    [moved] = await _one(db, Booking)
    assert moved.start_at.isoformat() == "2026-12-03T07:00:00+00:00"

    # Cancel it with a reason.
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    await chat.send(payload=chat.first_button("why:ill"))
    [cancelled] = await _one(db, Booking)
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "patient: ill"


async def test_typed_doctor_name_with_typos_and_without_diacritics(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock))
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send("kowalsk")  # Anna Kowalska, typo and all
    assert any("Konsultacja" in b for b in chat.buttons())  # her services
    await chat.send(payload=chat.first_button(f"svc:{c.long_consult.id}"))
    assert chat.first_button("day:")


async def test_numbers_press_buttons_and_stale_buttons_are_explained(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), channel=Channel.WHATSAPP, chat_id="+48501234567")
    await chat.send("/start")
    old = chat.first_button("m:book")
    await chat.send("1")  # the first button: book
    first_service = chat.first_button("svc:")
    await chat.send("1")  # the first service
    assert chat.first_button("day:")
    await chat.send(payload=first_service)  # a button of an earlier message
    assert chat.first_button("day:")  # answered with where we are now
    assert old == "m:book"


async def test_two_misunderstandings_reach_a_person(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock))
    await chat.send("/start")
    await chat.send("qwerty")
    assert not await _one(db, Escalation)
    await chat.send("asdfgh")
    [case] = await _one(db, Escalation)
    assert case.reason == "not_understood"
    assert chat.first_button("m:book")  # the offer to keep going


async def test_a_forged_button_for_someone_elses_visit_is_refused(db, clock):
    c = await small_clinic(db, clock)
    owner = Chat(make_dialog(db, clock), chat_id="1")
    await owner.send("/start")
    await owner.send(payload="m:book")
    await owner.send(payload=owner.first_button(f"svc:{c.consult.id}"))
    await owner.send(payload=owner.first_button("day:"))
    await owner.send(payload=owner.first_button("t:"))
    for text in ("Jan Kowal", "01.01.1970"):
        await owner.send(text)
    await owner.send(phone="+48501000001")
    await owner.press("Potwierdź")
    [booking] = await _one(db, Booking)

    intruder = Chat(make_dialog(db, clock), chat_id="2")
    await intruder.send("/start")
    await intruder.send(payload=f"ics:{booking.id}")
    assert all(r.attachment is None for r in intruder.seen)
    await intruder.send(payload="m:book")
    await intruder.send(payload=intruder.first_button(f"svc:{c.consult.id}"))
    forged = intruder.first_button("day:").split("|")[0] + f"|cx:{booking.id}"
    await intruder.send(payload=forged)
    async with db.read() as session:
        status = (await session.execute(select(Booking.status))).scalar_one()
    assert status is BookingStatus.BOOKED
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Booking))).scalar_one() == 1
