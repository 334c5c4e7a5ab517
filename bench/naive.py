"""The availability check peers do: load the day's bookings and filter in Python.

Bookings overlapping a day are found with `start_at < day end AND end_at > day
start`: the only bound an index can use is the upper one, so the scan covers
every earlier booking, i.e. the whole history. That is the baseline the issue
asks the engine to be compared with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.database import Database
from core.models import Booking, DoctorService, Slot
from core.vocab import BookingStatus

ACTIVE = [s.value for s in BookingStatus if s.active]
Found = tuple[int, datetime]  # doctor id, visit start
SlotRow = tuple[int, datetime, datetime, int]  # doctor id, start, end, availability


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


async def _bookings(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Every active booking of every doctor overlapping [start, end)."""
    rows = await session.execute(
        select(col(Booking.doctor_id), col(Booking.start_at), col(Booking.end_at)).where(
            col(Booking.start_at) < end,
            col(Booking.end_at) > start,
            col(Booking.status).in_(ACTIVE),
        )
    )
    by_doctor: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for doctor_id, b_start, b_end in rows.all():
        by_doctor[doctor_id].append((b_start, b_end))
    return by_doctor


async def _slots(
    session: AsyncSession, doctors: Sequence[int], start: datetime, end: datetime
) -> list[SlotRow]:
    rows = await session.execute(
        select(
            col(Slot.doctor_id), col(Slot.start_at), col(Slot.end_at), col(Slot.availability)
        ).where(
            col(Slot.doctor_id).in_(doctors), col(Slot.start_at) >= start, col(Slot.start_at) < end
        )
    )
    return [(d, s, e, a) for d, s, e, a in rows.all()]


def _free(
    slots: list[SlotRow],
    bookings: dict[int, list[tuple[datetime, datetime]]],
    now: datetime,
    length: timedelta,
    bits: int,
) -> list[Found]:
    """Visits of `length` that start on a slot, lie in visible contiguous slots, clash with none."""
    by_start = {(d, s): (e, a) for d, s, e, a in slots}
    found: list[Found] = []
    for doctor_id, start, _end, _bits in sorted(slots, key=lambda r: (r[1], r[0])):
        if start < now:
            continue
        visit_end, cursor = start + length, start
        while cursor < visit_end:
            slot = by_start.get((doctor_id, cursor))
            if slot is None or (bits and not slot[1] & bits):
                break
            cursor = slot[0]
        if cursor < visit_end:
            continue
        if any(bs < visit_end and be > start for bs, be in bookings.get(doctor_id, ())):
            continue
        found.append((doctor_id, start))
    return found


async def doctor_day(
    db: Database,
    now: datetime,
    zone: ZoneInfo,
    doctor_id: int,
    day: date,
    minutes: int,
    bits: int,
) -> list[Found]:
    """A doctor's free visits on a local day, the naive way."""
    start, end = day_bounds(day, zone)
    async with db.read() as session:
        bookings = await _bookings(session, start, end)
        slots = await _slots(session, [doctor_id], start, end)
    return _free(slots, bookings, now, timedelta(minutes=minutes), bits)


async def earliest(
    db: Database,
    now: datetime,
    zone: ZoneInfo,
    service_id: int,
    minutes: int,
    bits: int,
    *,
    limit: int = 5,
    horizon_days: int = 90,
) -> list[Found]:
    """The earliest free visits for a service, day after day, the naive way."""
    found: list[Found] = []
    day = now.astimezone(zone).date()
    async with db.read() as session:
        doctors = list(
            (
                await session.execute(
                    select(col(DoctorService.doctor_id)).where(
                        col(DoctorService.service_id) == service_id
                    )
                )
            ).scalars()
        )
        for offset in range(horizon_days):
            start, end = day_bounds(day + timedelta(days=offset), zone)
            bookings = await _bookings(session, start, end)
            slots = await _slots(session, doctors, start, end)
            found += _free(slots, bookings, now, timedelta(minutes=minutes), bits)
            if len(found) >= limit:
                break
    return found[:limit]
