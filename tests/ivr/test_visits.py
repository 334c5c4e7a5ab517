"""My visits by phone (ivr/visits.py), end to end on SQLite and PostgreSQL: a visit moved or
cancelled, and a wrong date of birth twice sending the caller to the desk."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import BookingChange
from core.vocab import BookingStatus, CallOutcome, Channel
from testkit.factories import SmallClinic, adult
from testkit.fakes.twilio import FakeTwilio, sms_to
from testkit.ivr import BORN, CALLER, Client, assert_prompt, drain_sms, rows, the_call
from testkit.phone import Phone


async def _two_visits(
    db: Database, clock: FrozenClock, clinic: SmallClinic
) -> tuple[int, int, int]:
    patient_id = await adult(db, clock)
    booking = BookingService(db, clock)
    actor = Actor.patient(patient_id, Channel.TELEGRAM)
    made = []
    for day in (1, 2):
        start = datetime(2026, 12, 1 + day, 9, 0, tzinfo=UTC)
        visit = await booking.book(
            actor, VisitRequest(patient_id, clinic.consult.id or 0, clinic.internist.id or 0, start)
        )
        made.append(visit.id or 0)
    return patient_id, made[0], made[1]


async def test_a_caller_moves_a_visit(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic, fake: FakeTwilio
) -> None:
    _patient, first, _second = await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press(BORN)
    assert "Wizyta 1 z 2" in phone.said()
    assert "2 grudnia o 10:00" in phone.said()
    await phone.press("1")  # move it: the same doctor's earliest time
    assert "1 grudnia o 08:00" in phone.said()
    await phone.press("1")
    assert "przeniesiona na" in phone.said()
    await phone.press("1")
    assert "przeniesiona" in phone.said()

    moved = await BookingService(db, clock).get(first)
    assert moved.start_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert moved.status is BookingStatus.BOOKED
    (change,) = await rows(
        db,
        BookingChange,
        col(BookingChange.booking_id) == first,
        col(BookingChange.action) == "moved",
    )
    assert change.channel is Channel.VOICE
    assert (await the_call(db, phone)).outcome is CallOutcome.MOVED
    await drain_sms(client)
    (sms,) = sms_to(fake, CALLER)
    assert "1 grudnia 2026, 08:00" in sms


async def test_a_caller_cancels_a_visit(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    _patient, first, second = await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press(BORN)
    await phone.press("3")  # the next visit
    assert "Wizyta 2 z 2" in phone.said()
    assert "3 grudnia" in phone.said()
    await phone.press("2")  # cancel it
    await phone.press("1")  # yes
    assert "odwołana" in phone.said()

    booking = BookingService(db, clock)
    assert (await booking.get(second)).status is BookingStatus.CANCELLED
    assert (await booking.get(second)).cancel_reason == "patient: by phone"
    assert (await booking.get(first)).status is BookingStatus.BOOKED
    assert (await the_call(db, phone)).outcome is CallOutcome.CANCELLED


async def test_a_wrong_date_of_birth_twice_goes_to_the_desk(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press("02051980")
    assert "nie zgadza" in phone.said()
    assert_prompt(phone, listens="dtmf")
    await phone.press("31021980")  # no such date
    assert phone.enqueue().text == f"desk-{clinic.branch.id}"
    assert "Wizyta" not in " ".join(phone.heard)
    assert (await the_call(db, phone)).patient_id is None
