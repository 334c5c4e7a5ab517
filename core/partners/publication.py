"""Publishing a doctor's day to a partner: the working periods it should show (slots
open to it, free or booked, and every active visit's time), merged, with the services'
durations; the partner cuts them into its own slots. `PartnerSync` delivers it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.models import Booking, Branch, DoctorService, PartnerOperation, Service, Slot
from core.partners.mappings import Mappings
from core.partners.port import Outbound, PartnerClient
from core.vocab import Availability, BookingStatus, Channel, MappingKind, PartnerOpKind


async def publication(
    session: AsyncSession,
    client: PartnerClient,
    op: PartnerOperation,
    key: str,
    maps: Mappings,
    clock: Clock,
) -> Outbound | str:
    """The day of the operation's subject in the partner's ids, or why there is nothing
    to send."""
    _, doctor_id, day_text = op.subject.split(":")
    doctor_id_int, day = int(doctor_id), date.fromisoformat(day_text)
    doctor = maps[MappingKind.DOCTOR].get(doctor_id_int)
    if doctor is None:
        return "doctor not mapped"
    if not clock.now().date() <= day < clock.now().date() + client.horizon:
        return "outside the publishing horizon"
    mapped = maps[MappingKind.SERVICE]
    durations = (
        await session.execute(
            select(col(Service.id), col(Service.duration_minutes))
            .join(DoctorService, col(DoctorService.service_id) == col(Service.id))
            .where(col(DoctorService.doctor_id) == doctor_id_int, col(Service.active))
        )
    ).all()
    services = [(mapped[sid], minutes) for sid, minutes in durations if sid in mapped]
    periods, busy, zone = await working_periods(session, client.partner, doctor_id_int, day)
    return Outbound(
        PartnerOpKind.PUBLISH_SLOTS,
        key,
        doctor=doctor,
        day=day,
        periods=periods,
        services=services,
        busy=busy,
        zone=zone,
    )


async def working_periods(
    session: AsyncSession, partner: Channel, doctor_id: int, day: date
) -> tuple[list[tuple[datetime, datetime]], list[tuple[datetime, datetime]], str]:
    """A doctor's working time on one local day as the partner should see it: the slots
    open to that partner, free or booked, and the time of every active booking (which the
    partner holds as bookings pushed to it); that visits' time alone (a partner that
    publishes free time, CeR, takes it out); and the time zone the day is local to (the
    branch's). Booking here never shrinks the working periods."""
    bit = int(Availability.for_channel(partner))
    around = datetime.combine(day, time(), tzinfo=UTC)
    window = (around - timedelta(days=1), around + timedelta(days=2))
    branches = list((await session.execute(select(Branch).order_by(col(Branch.id)))).scalars())
    zones = {b.id: ZoneInfo(b.timezone) for b in branches}
    slots = await session.execute(
        select(col(Slot.start_at), col(Slot.end_at), col(Slot.branch_id)).where(
            col(Slot.doctor_id) == doctor_id,
            col(Slot.start_at) >= window[0],
            col(Slot.start_at) < window[1],
            col(Slot.availability).op("&")(bit) != 0,
        )
    )
    visits = await session.execute(
        select(col(Booking.start_at), col(Booking.end_at), col(Booking.branch_id)).where(
            col(Booking.doctor_id) == doctor_id,
            col(Booking.start_at) >= window[0],
            col(Booking.start_at) < window[1],
            col(Booking.status).in_([s for s in BookingStatus if s.active]),
        )
    )
    local = [
        [
            (start, end, branch)
            for start, end, branch in rows
            if start.astimezone(zones[branch]).date() == day
        ]
        for rows in (slots.all(), visits.all())
    ]
    that_day = [*local[0], *local[1]]
    branch = that_day[0][2] if that_day else branches[0].id if branches else None
    zone = zones[branch].key if branch in zones else "UTC"
    busy = merge_periods([(start, end) for start, end, _ in local[1]])
    return merge_periods([(start, end) for start, end, _ in that_day]), busy, zone


def merge_periods(
    periods: Sequence[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Adjacent free slots joined into work periods (the partner cuts them itself)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
