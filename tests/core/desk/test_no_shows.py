"""No-shows counted per doctor, service and channel in a member's scope, and a patient's
own (core/desk/no_shows.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.desk.accounts import StaffAccounts
from core.desk.no_shows import NoShows
from core.models import Booking
from core.vocab import BookingStatus, Channel
from testkit.dashboard import WEDNESDAY_8, book
from testkit.factories import adult
from testkit.staff_desk import ADMIN, Desk, desk

DAY = (WEDNESDAY_8 - timedelta(hours=8), WEDNESDAY_8 + timedelta(hours=16))


async def visit(db, clock, clinic: Desk, doctor_id, n: int, hours: int) -> int:
    """A consultation on Wednesday at 08:00 + `hours` for the n-th test patient."""
    assert clinic.clinic.consult.id is not None
    booked = await BookingService(db, clock).book(
        Actor.staff("setup"),
        VisitRequest(
            await adult(db, clock, n),
            clinic.clinic.consult.id,
            doctor_id,
            WEDNESDAY_8 + timedelta(hours=hours),
        ),
    )
    assert booked.id is not None
    return booked.id


async def test_no_shows_are_counted_per_doctor_service_and_channel(db, clock) -> None:
    clinic = await desk(db, clock)
    booking = BookingService(db, clock)
    mokotow = [await visit(db, clock, clinic, clinic.clinic.internist.id, n, n) for n in (1, 2)]
    wola = await visit(db, clock, clinic, clinic.other_doctor.id, 3, 1)
    cancelled = await visit(db, clock, clinic, clinic.other_doctor.id, 4, 2)
    clock.set(WEDNESDAY_8 + timedelta(hours=3))
    for booking_id in (mokotow[0], wola):
        await booking.set_status(Actor.staff("reg"), booking_id, BookingStatus.NO_SHOW)
    await booking.cancel(Actor.staff("reg"), cancelled, "patient: ill")

    report = await NoShows(db).report(ADMIN, *DAY)
    assert (report.no_shows, report.due) == (2, 3)
    assert {(c.key, c.no_shows, c.due) for c in report.doctors} == {
        (clinic.clinic.internist.id, 1, 2),
        (clinic.other_doctor.id, 1, 1),
    }
    assert [(c.key, c.no_shows, c.due, c.percent) for c in report.services] == [
        (clinic.clinic.consult.id, 2, 3, 67)
    ]
    assert [(c.key, c.no_shows) for c in report.channels] == [(Channel.STAFF, 2)]

    # A registrar of Mokotów counts Mokotów's visits only.
    registrar = await StaffAccounts(db, clock).scope(clinic.registrar)
    mine = await NoShows(db).report(registrar, *DAY)
    assert (mine.no_shows, mine.due) == (1, 2)


async def test_a_patient_s_no_shows_for_their_card(db, clock) -> None:
    clinic = await desk(db, clock)
    missed = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    clock.set(WEDNESDAY_8 + timedelta(hours=1))
    await BookingService(db, clock).set_status(Actor.staff("reg"), missed, BookingStatus.NO_SHOW)
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, missed)).patient_id
    found = await NoShows(db).of_patient(patient_id)
    assert (found.count, [b.id for b in found.visits]) == (1, [missed])
    assert (await NoShows(db).of_patient(patient_id + 1000)).count == 0
