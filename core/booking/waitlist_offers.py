"""Offering a freed time to the waiting list, inside the transaction that freed it.

The steps: find the entries waiting for that doctor, branch and day; choose the
first few the time suits (service, hours, restrictions, the channel's slots);
hold the time for them (a system hold, kept from every search); offer it to each.
`WaitlistService` (core/booking/waitlist.py) answers the offers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.booking.placement import MAX_SLOT, Placement, hold_time, is_free
from core.clinic.restrictions import check_restrictions
from core.errors import RestrictionViolated
from core.journal import emit
from core.models import Branch, DoctorService, Patient, Service, Slot, WaitlistEntry, WaitlistOffer
from core.schedule.slots import covering_run
from core.vocab import Availability, Channel, EventKind, WaitlistStatus


@dataclass(frozen=True)
class WaitlistPolicy:
    """How a freed time is offered: for how long, and to how many waiting patients."""

    offer_ttl: timedelta = timedelta(minutes=30)
    fan_out: int = 3  # how many waiting patients are offered one freed time at once


async def offer_freed_time(
    session: AsyncSession, freed: Placement, service_id: int, now: datetime, policy: WaitlistPolicy
) -> list[WaitlistOffer]:
    """Offer a freed time to the next waiting patients (inside the freeing transaction)."""
    if freed.start_at <= now or not await is_free(session, freed, now):
        return []
    branch = await session.get_one(Branch, freed.branch_id)
    local = freed.start_at.astimezone(ZoneInfo(branch.timezone))
    entries = await _waiting_for(session, freed, local.date())
    chosen = await _choose(session, entries, freed, service_id, local, policy.fan_out)
    if not chosen:
        return []
    expires_at = now + policy.offer_ttl
    hold = await hold_time(
        session,
        freed,
        service_id=service_id,
        channel=Channel.SYSTEM,
        now=now,
        expires_at=expires_at,
        token_prefix="wl-",  # noqa: S106  (marks the waiting list's holds, not a secret)
    )
    return await _offer(session, chosen, freed, hold.token, now, expires_at)


async def _waiting_for(
    session: AsyncSession, freed: Placement, day: date
) -> Sequence[WaitlistEntry]:
    """The waiting entries whose doctor, branch and days admit the freed time (on its local
    `day`) and that were not offered it before, in the order they joined."""
    already = select(col(WaitlistOffer.entry_id)).where(
        col(WaitlistOffer.doctor_id) == freed.doctor_id,
        col(WaitlistOffer.start_at) == freed.start_at,
    )
    entries = await session.execute(
        select(WaitlistEntry)
        .where(
            col(WaitlistEntry.status) == WaitlistStatus.WAITING,
            or_(
                col(WaitlistEntry.doctor_id).is_(None),
                col(WaitlistEntry.doctor_id) == freed.doctor_id,
            ),
            or_(
                col(WaitlistEntry.branch_id).is_(None),
                col(WaitlistEntry.branch_id) == freed.branch_id,
            ),
            or_(
                col(WaitlistEntry.earliest).is_(None),
                col(WaitlistEntry.earliest) <= day,
            ),
            or_(col(WaitlistEntry.latest).is_(None), col(WaitlistEntry.latest) >= day),
            col(WaitlistEntry.id).not_in(already),
        )
        .order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
    )
    return entries.scalars().all()


async def _choose(
    session: AsyncSession,
    entries: Iterable[WaitlistEntry],
    freed: Placement,
    service_id: int,
    local: datetime,
    fan_out: int,
) -> list[tuple[WaitlistEntry, Service]]:
    """The first `fan_out` entries the freed time suits, each with the service it would be
    for: the doctor performs it, it fits the time and the entry's hours, the patient may
    have it (`local` is the time at the branch), and the entry's channel may see the time."""
    doctor_services = {
        sid
        for (sid,) in (
            await session.execute(
                select(col(DoctorService.service_id)).where(
                    col(DoctorService.doctor_id) == freed.doctor_id
                )
            )
        ).all()
    }
    chosen: list[tuple[WaitlistEntry, Service]] = []
    for entry in entries:
        if len(chosen) >= fan_out:
            break
        wanted = entry.service_id or service_id
        if wanted not in doctor_services or not _in_window(entry, local.time()):
            continue
        service = await session.get(Service, wanted)
        if (
            service is None
            or freed.start_at + timedelta(minutes=service.duration_minutes) > freed.end_at
        ):
            continue
        patient = await session.get_one(Patient, entry.patient_id)
        try:
            check_restrictions(service, patient, local.date())
        except RestrictionViolated:
            continue
        bits = int(Availability.for_channel(entry.channel))
        if bits and not await _visible(session, freed, bits):
            continue
        chosen.append((entry, service))
    return chosen


async def _offer(
    session: AsyncSession,
    chosen: list[tuple[WaitlistEntry, Service]],
    freed: Placement,
    hold_token: str,
    now: datetime,
    expires_at: datetime,
) -> list[WaitlistOffer]:
    """An offer of the held time to each chosen entry, with an event for its channel."""
    offers = []
    for entry, service in chosen:
        assert entry.id is not None
        assert service.id is not None
        offer = WaitlistOffer(
            entry_id=entry.id,
            service_id=service.id,
            doctor_id=freed.doctor_id,
            branch_id=freed.branch_id,
            room_id=freed.room_id,
            hold_token=hold_token,
            start_at=freed.start_at,
            end_at=freed.start_at + timedelta(minutes=service.duration_minutes),
            expires_at=expires_at,
            created_at=now,
        )
        session.add(offer)
        entry.status = WaitlistStatus.OFFERED
        offers.append(offer)
    await session.flush()
    for offer, (entry, _service) in zip(offers, chosen, strict=True):
        emit(
            session,
            EventKind.WAITLIST_OFFERED,
            at=now,
            offer_id=offer.id,
            patient_id=entry.patient_id,
            channel=entry.channel,
            doctor_id=offer.doctor_id,
            service_id=offer.service_id,
            start_at=offer.start_at,
            expires_at=expires_at,
        )
    return offers


def _in_window(entry: WaitlistEntry, local: time) -> bool:
    if entry.time_from is not None and local < entry.time_from:
        return False
    return entry.time_to is None or local < entry.time_to


async def _visible(session: AsyncSession, freed: Placement, bits: int) -> bool:
    slots = (
        await session.execute(
            select(Slot).where(
                col(Slot.doctor_id) == freed.doctor_id,
                col(Slot.start_at) < freed.end_at,
                col(Slot.start_at) > freed.start_at - MAX_SLOT,
                col(Slot.end_at) > freed.start_at,
            )
        )
    ).scalars()
    return covering_run(slots, freed.start_at, freed.end_at, bits) is not None
