"""Offering a freed time to the waiting list, inside the transaction that freed it.

The steps: find the entries waiting for that doctor, branch and day; choose the
first batch the time suits (service, hours, restrictions, the channel's slots);
hold the time for them (a system hold, kept from every search until the cut-off
before the visit); offer it to each, or book it at once for the first of the batch
who opted in to automatic booking. While nobody has taken it, the sweep offers it
to the next batch after a delay (`offer_next_batch`). An offer's time to answer
starts when the patient can be told: at the end of quiet hours when it is made
during them. `WaitlistService` (core/booking/waitlist.py) answers the offers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import (
    MAX_SLOT,
    Placement,
    VisitRequest,
    hold_time,
    is_free,
    place_booking,
)
from core.clinic.restrictions import check_restrictions
from core.errors import HoldExpired, OutsideAvailability, RestrictionViolated, SlotTaken
from core.journal import emit
from core.models import (
    Branch,
    DoctorService,
    Hold,
    Patient,
    Service,
    Slot,
    WaitlistEntry,
    WaitlistOffer,
)
from core.quiet import QuietHours
from core.schedule.slots import covering_run
from core.vocab import Availability, Channel, EventKind, OfferStatus, WaitlistStatus


@dataclass(frozen=True)
class WaitlistPolicy:
    """How a freed time is offered: to how many waiting patients at once, for how long
    from when they can be told, when to the next ones, and until when before the visit."""

    offer_ttl: timedelta = timedelta(minutes=30)  # the time to answer, from `told_at`
    fan_out: int = 3  # a batch: how many waiting patients are offered one freed time at once
    batch_delay: timedelta = timedelta(minutes=15)  # then the next batch, if nobody took it
    cutoff: timedelta = timedelta(hours=2)  # no offer closer to the visit; the time freed
    quiet: QuietHours = field(default_factory=QuietHours)


@dataclass(frozen=True)
class _Timing:
    """When a batch can be told, and until when it may answer."""

    told_at: datetime
    expires_at: datetime


def _timing(
    policy: WaitlistPolicy, start_at: datetime, timezone: str, now: datetime
) -> _Timing | None:
    """The batch's times, or None when it could not be told before the cut-off."""
    told_at = policy.quiet.next_allowed(now, timezone)
    deadline = start_at - policy.cutoff
    if told_at >= deadline:
        return None
    return _Timing(told_at, min(told_at + policy.offer_ttl, deadline))


async def offer_freed_time(
    session: AsyncSession, freed: Placement, service_id: int, now: datetime, policy: WaitlistPolicy
) -> list[WaitlistOffer]:
    """Offer a freed time to the first batch of waiting patients (inside the freeing
    transaction), held for them until the cut-off before the visit."""
    if freed.start_at <= now or not await is_free(session, freed, now):
        return []
    branch = await session.get_one(Branch, freed.branch_id)
    timing = _timing(policy, freed.start_at, branch.timezone, now)
    if timing is None:
        return []
    local = freed.start_at.astimezone(ZoneInfo(branch.timezone))
    entries = await _waiting_for(session, freed, local.date())
    chosen = await _choose(session, entries, freed, service_id, local, policy.fan_out)
    if not chosen:
        return []
    hold = await hold_time(
        session,
        freed,
        service_id=service_id,
        channel=Channel.SYSTEM,
        now=now,
        expires_at=freed.start_at - policy.cutoff,
        token_prefix="wl-",  # noqa: S106  (marks the waiting list's holds, not a secret)
    )
    return await _offer_or_book(session, chosen, freed, hold.token, now, timing)


async def offer_next_batch(
    session: AsyncSession, hold: Hold, now: datetime, policy: WaitlistPolicy
) -> list[WaitlistOffer]:
    """Offer a held time to the next batch in line (nobody took it from the last one),
    while it can be told before the cut-off."""
    freed = Placement(hold.doctor_id, hold.branch_id, hold.room_id, hold.start_at, hold.end_at)
    branch = await session.get_one(Branch, hold.branch_id)
    timing = _timing(policy, hold.start_at, branch.timezone, now)
    if timing is None or hold.expires_at <= now:
        return []
    local = hold.start_at.astimezone(ZoneInfo(branch.timezone))
    entries = await _waiting_for(session, freed, local.date())
    chosen = await _choose(session, entries, freed, hold.service_id, local, policy.fan_out)
    return await _offer_or_book(session, chosen, freed, hold.token, now, timing)


async def close_other_offers(session: AsyncSession, hold_token: str, now: datetime) -> None:
    """The held time was booked: every other open offer of it is gone, and its patient
    waits again (told by an event)."""
    others = (
        await session.execute(
            select(WaitlistOffer)
            .where(
                col(WaitlistOffer.status) == OfferStatus.OPEN,
                col(WaitlistOffer.hold_token) == hold_token,
            )
            .with_for_update()
        )
    ).scalars()
    for other in others:
        other.status = OfferStatus.GONE
        other_entry = await session.get_one(WaitlistEntry, other.entry_id)
        other_entry.status = WaitlistStatus.WAITING
        emit(
            session,
            EventKind.WAITLIST_OFFER_GONE,
            at=now,
            offer_id=other.id,
            patient_id=other_entry.patient_id,
            channel=other_entry.channel,
        )


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


async def _offer_or_book(
    session: AsyncSession,
    chosen: list[tuple[WaitlistEntry, Service]],
    freed: Placement,
    hold_token: str,
    now: datetime,
    timing: _Timing,
) -> list[WaitlistOffer]:
    """Book the held time for the first chosen entry that opted in, else offer it to each."""
    for entry, service in chosen:
        if entry.auto_book:
            booked = await _auto_book(session, entry, service, freed, hold_token, now, timing)
            if booked is not None:
                return [booked]
    return await _offer(session, chosen, freed, hold_token, now, timing)


async def _auto_book(
    session: AsyncSession,
    entry: WaitlistEntry,
    service: Service,
    freed: Placement,
    hold_token: str,
    now: datetime,
    timing: _Timing,
) -> WaitlistOffer | None:
    """The visit booked for an entry that opted in, recorded as an accepted offer (the
    planner tells the patient, with a way to undo); None when it could not be placed."""
    assert entry.id is not None
    assert service.id is not None
    request = VisitRequest(
        entry.patient_id, service.id, freed.doctor_id, freed.start_at, hold_token=hold_token
    )
    try:
        async with session.begin_nested():
            booking = await place_booking(session, Actor.system(), request, now)
    except (SlotTaken, HoldExpired, OutsideAvailability, RestrictionViolated):
        return None
    offer = _offer_row(entry, service, freed, hold_token, now, timing)
    offer.status, offer.auto = OfferStatus.ACCEPTED, True
    session.add(offer)
    entry.status, entry.booking_id = WaitlistStatus.BOOKED, booking.id
    await session.flush()
    await close_other_offers(session, hold_token, now)
    return offer


def _offer_row(
    entry: WaitlistEntry,
    service: Service,
    freed: Placement,
    hold_token: str,
    now: datetime,
    timing: _Timing,
) -> WaitlistOffer:
    assert entry.id is not None
    assert service.id is not None
    return WaitlistOffer(
        entry_id=entry.id,
        service_id=service.id,
        doctor_id=freed.doctor_id,
        branch_id=freed.branch_id,
        room_id=freed.room_id,
        hold_token=hold_token,
        start_at=freed.start_at,
        end_at=freed.start_at + timedelta(minutes=service.duration_minutes),
        expires_at=timing.expires_at,
        told_at=timing.told_at,
        created_at=now,
    )


async def _offer(
    session: AsyncSession,
    chosen: list[tuple[WaitlistEntry, Service]],
    freed: Placement,
    hold_token: str,
    now: datetime,
    timing: _Timing,
) -> list[WaitlistOffer]:
    """An offer of the held time to each chosen entry, with an event for its channel."""
    offers = []
    for entry, service in chosen:
        offer = _offer_row(entry, service, freed, hold_token, now, timing)
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
            told_at=timing.told_at,
            expires_at=timing.expires_at,
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
