"""`slot.start_booked`, kept by the database's triggers: true exactly when a booking holds
the doctor's cell at the slot's start, whoever writes the cells and however they race."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, insert, select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.db.database import Database
from core.errors import DomainError
from core.models import Occupancy, Slot
from core.schedule.occupancy import DOCTOR
from core.vocab import Channel
from testkit.factories import adult, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")

BOOKED_AT_START = exists().where(
    col(Occupancy.resource_kind) == DOCTOR,
    col(Occupancy.resource_id) == col(Slot.doctor_id),
    col(Occupancy.cell_at) == col(Slot.start_at),
    col(Occupancy.booking_id).is_not(None),
)


async def _flagged(db: Database) -> set[datetime]:
    """The starts of the flagged slots, once every slot's flag is checked against the cells."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(col(Slot.start_at), col(Slot.start_booked), BOOKED_AT_START)
            )
        ).all()
    assert rows
    assert [start for start, flag, truth in rows if flag != truth] == []
    return {start for start, flag, _ in rows if flag}


async def test_the_flag_follows_bookings_but_not_holds(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    day = clock.now().date() + timedelta(days=1)
    at = lambda hh, mm: datetime.combine(day, time(hh, mm), tzinfo=WARSAW)  # noqa: E731
    service = BookingService(db, clock)
    assert await _flagged(db) == set()

    long_visit = await service.book(
        Actor.staff("desk"), VisitRequest(pid, c.long_consult.id, c.internist.id, at(9, 0))
    )
    # Both slots the visit runs over: the second one's start is the visit's cell too.
    assert await _flagged(db) == {at(9, 0), at(9, 15)}

    # A hold's cells keep no flag: an expired hold counts as free, and is not deleted then.
    await service.hold(Channel.TELEGRAM, c.consult.id, c.internist.id, at(10, 0))
    assert await _flagged(db) == {at(9, 0), at(9, 15)}

    assert long_visit.id is not None
    await service.cancel(Actor.staff("desk"), long_visit.id, "test")
    assert await _flagged(db) == set()


async def test_a_slot_made_where_a_booking_is_reads_the_flag(db, clock):
    """A regenerated schedule may put a slot back under a visit booked before."""
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    at = datetime.combine(clock.now().date() + timedelta(days=1), time(11, 0), tzinfo=WARSAW)
    await BookingService(db, clock).book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )

    async def remake(session):
        slot = (
            await session.execute(
                select(Slot).where(col(Slot.doctor_id) == c.internist.id, col(Slot.start_at) == at)
            )
        ).scalar_one()
        row = slot.model_dump(exclude={"id", "start_booked"})
        await session.execute(delete(Slot).where(col(Slot.id) == slot.id))
        await session.execute(insert(Slot).values(**row))  # start_booked left to its default

    await db.write(remake)
    assert await _flagged(db) == {at}


async def test_racing_bookings_and_cancellations_leave_every_flag_right(db, clock):
    """Many tasks (connections, on PostgreSQL) book the same few times, cancel what they
    got and book again; the flags end as the cells are, and each time has one booking."""
    c = await small_clinic(db, clock)
    patients = [await adult(db, clock, n) for n in range(1, 13)]
    day = clock.now().date() + timedelta(days=2)
    starts = [datetime.combine(day, time(9, 15 * n), tzinfo=WARSAW) for n in range(4)]
    service = BookingService(db, clock)

    async def churn(n: int) -> None:
        patient = patients[n]
        for round_ in range(4):
            at = starts[(n + round_) % len(starts)]
            # Long visits too: a booking's cells reach the next slot's start.
            service_id = c.long_consult.id if n % 3 == 0 else c.consult.id
            try:
                booking = await service.book(
                    Actor.staff("desk"), VisitRequest(patient, service_id, c.internist.id, at)
                )
            except DomainError:
                continue
            assert booking.id is not None
            if round_ % 2 == 0:
                await service.cancel(Actor.staff("desk"), booking.id, "race")

    await asyncio.gather(*(churn(n) for n in range(len(patients))))
    flagged = await _flagged(db)
    async with db.read() as session:
        cells = set(
            (
                await session.execute(
                    select(col(Occupancy.cell_at)).where(
                        and_(
                            col(Occupancy.resource_kind) == DOCTOR,
                            col(Occupancy.resource_id) == c.internist.id,
                            col(Occupancy.booking_id).is_not(None),
                        )
                    )
                )
            ).scalars()
        )
    assert flagged == {cell for cell in cells if cell.minute % 15 == 0}  # the slots' starts
    assert flagged  # some bookings stayed
