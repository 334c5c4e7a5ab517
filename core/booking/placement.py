"""Putting a visit on a doctor's time inside the caller's transaction.

Shared by booking, moving, restoring, holding and waiting-list offers so that
every path checks the same things: the doctor performs the service, slots
visible to the channel cover the whole visit, and the occupancy cells are free.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.ereferral import parse_e_referral
from core.booking.guard import guard_switch, take_mark
from core.clinic.restrictions import check_restrictions
from core.errors import (
    HoldExpired,
    InvalidInput,
    NotFound,
    OutsideAvailability,
    SlotTaken,
)
from core.journal import emit, record_change
from core.models import Booking, Branch, DoctorService, Hold, Patient, Service, Slot
from core.schedule.occupancy import Resources, claim, release_hold, taken_cells
from core.schedule.slots import covering_run
from core.vocab import Availability, Channel, EventKind

MAX_SLOT = timedelta(days=1)  # no slot is longer than a day


@dataclass(frozen=True)
class VisitRequest:
    patient_id: int
    service_id: int
    doctor_id: int
    start_at: datetime
    referral: str | None = None
    hold_token: str | None = None  # the hold this booking redeems, if any
    e_referral: str | None = None  # as `core.booking.ereferral.parse_e_referral` keeps it


@dataclass(frozen=True)
class Placement:
    """Where a visit fits: its doctor, branch, room and exact period."""

    doctor_id: int
    branch_id: int
    room_id: int | None
    start_at: datetime
    end_at: datetime
    timezone: str | None = None  # the branch's, when `locate` read it with the slots

    @property
    def resources(self) -> Resources:
        return Resources(self.doctor_id, self.room_id)


class PlacedColumns(TypedDict):
    """The columns that say where a row's visit is (a booking's, a hold's)."""

    doctor_id: int
    branch_id: int
    room_id: int | None
    start_at: datetime
    end_at: datetime


def placement_columns(placement: Placement) -> PlacedColumns:
    """A placement as the row columns it sets (the keys `where_of` reads back)."""
    return PlacedColumns(
        doctor_id=placement.doctor_id,
        branch_id=placement.branch_id,
        room_id=placement.room_id,
        start_at=placement.start_at,
        end_at=placement.end_at,
    )


async def load_service(session: AsyncSession, service_id: int) -> Service:
    service = await session.get(Service, service_id)
    if service is None or not service.active:
        raise NotFound("no such service")
    return service


async def locate(
    session: AsyncSession,
    service: Service,
    doctor_id: int,
    start_at: datetime,
    channel: Channel,
) -> Placement:
    """Check that the visit may go there; the slots are key-share-locked against
    regeneration (which locks them for update). Not a full share lock: the claim's
    trigger sets `slot.start_booked`, and a share lock of a racing booking on the same
    slot would make the two wait for each other (migration 0019).

    One read: the slots, their branch's time zone (for `local_day`) and whether the
    doctor performs the service.
    """
    offered = (
        exists()
        .where(
            col(DoctorService.doctor_id) == doctor_id,
            col(DoctorService.service_id) == service.id,
        )
        .label("offered")
    )
    start_at = start_at.astimezone(UTC)
    end_at = start_at + timedelta(minutes=service.duration_minutes)
    rows = (
        await session.execute(
            select(Slot, col(Branch.timezone), offered)
            .join(Branch, col(Branch.id) == col(Slot.branch_id))
            .where(
                col(Slot.doctor_id) == doctor_id,
                col(Slot.start_at) < end_at,
                col(Slot.start_at) > start_at - MAX_SLOT,  # a lower bound: no history read
                col(Slot.end_at) > start_at,
            )
            .with_for_update(read=True, key_share=True, of=Slot)
        )
    ).all()
    if not (rows[0].offered if rows else await _performs(session, doctor_id, service)):
        raise OutsideAvailability("the doctor does not perform this service", reason="service")
    run = covering_run(
        (row.Slot for row in rows), start_at, end_at, int(Availability.for_channel(channel))
    )
    if run is None:
        raise OutsideAvailability("no slot there for this channel", reason="slot")
    zone = next(row.timezone for row in rows if row.Slot is run[0])
    return Placement(doctor_id, run[0].branch_id, run[0].room_id, start_at, end_at, zone)


async def _performs(session: AsyncSession, doctor_id: int, service: Service) -> bool:
    """Whether the doctor performs the service (asked apart only when no slot is there)."""
    offered = await session.execute(
        select(col(DoctorService.doctor_id)).where(
            col(DoctorService.doctor_id) == doctor_id,
            col(DoctorService.service_id) == service.id,
        )
    )
    return offered.first() is not None


async def is_free(session: AsyncSession, placement: Placement, now: datetime) -> bool:
    """Whether the cells are free right now (a read: only a claim guarantees it)."""
    rooms = {placement.room_id} if placement.room_id is not None else set()
    taken = await taken_cells(
        session, {placement.doctor_id}, rooms, placement.start_at, placement.end_at, now
    )
    return not taken


async def occupy(
    session: AsyncSession, placement: Placement, booking_id: int, now: datetime
) -> None:
    """Claim the placement for a booking, or raise `SlotTaken` (the caller rolls back)."""
    if not await claim(
        session,
        placement.resources,
        placement.start_at,
        placement.end_at,
        now=now,
        booking_id=booking_id,
    ):
        raise SlotTaken("the time was taken meanwhile")


async def hold_time(
    session: AsyncSession,
    placement: Placement,
    *,
    service_id: int,
    channel: Channel,
    now: datetime,
    expires_at: datetime,
    token_prefix: str = "",
) -> Hold:
    """Keep the placement's time until `expires_at` (its cells claimed for a new hold), or
    raise `SlotTaken` (the caller rolls back)."""
    hold = Hold(
        token=f"{token_prefix}{secrets.token_urlsafe(16)}",
        **placement_columns(placement),
        service_id=service_id,
        channel=channel,
        expires_at=expires_at,
    )
    session.add(hold)
    await session.flush()
    if not await claim(
        session,
        placement.resources,
        placement.start_at,
        placement.end_at,
        now=now,
        hold_id=hold.id,
        expires_at=expires_at,
    ):
        raise SlotTaken("the time is taken or held")
    return hold


async def redeem_hold(session: AsyncSession, token: str, placement: Placement) -> None:
    """Give up a hold in favour of the booking made from it (same transaction)."""
    hold = (
        await session.execute(select(Hold).where(col(Hold.token) == token).with_for_update())
    ).scalar_one_or_none()
    if hold is None:
        raise HoldExpired("the hold is gone")
    if (hold.doctor_id, hold.start_at) != (placement.doctor_id, placement.start_at) or (
        hold.end_at < placement.end_at
    ):
        raise HoldExpired("the hold is for another time", reason="mismatch")
    assert hold.id is not None
    await drop_hold(session, hold.id)


async def drop_hold(session: AsyncSession, hold_id: int) -> None:
    """Remove a hold and its cells; harmless if another transaction removed it first."""
    await release_hold(session, hold_id)
    await session.execute(delete(Hold).where(col(Hold.id) == hold_id))


def check_reach(actor: Actor, placement: Placement) -> None:
    """A staff member puts visits only where their reach allows (inside the transaction)."""
    if actor.reach is not None:
        actor.reach.require_branch(placement.branch_id)


async def place_booking(
    session: AsyncSession, actor: Actor, request: VisitRequest, now: datetime
) -> Booking:
    """Create a booking inside the caller's transaction (also used by waiting-list offers)."""
    if request.referral is not None and len(request.referral) > 100:
        raise InvalidInput("a referral number has at most 100 characters")
    e_referral = parse_e_referral(request.e_referral) if request.e_referral else None
    service, patient, guarded = await _service_and_patient(session, request)
    placement = await locate(session, service, request.doctor_id, request.start_at, actor.channel)
    check_reach(actor, placement)
    check_restrictions(
        service,
        patient,
        await local_day(session, placement),
        referral=request.referral,
        check_referral=True,
        e_referral=e_referral,
    )
    if request.hold_token:
        await redeem_hold(session, request.hold_token, placement)
    booking = Booking(
        patient_id=request.patient_id,
        service_id=request.service_id,
        **placement_columns(placement),
        source=actor.channel,
        referral=request.referral,
        e_referral=e_referral,
        created_at=now,
        updated_at=now,
    )
    if guarded:
        await take_mark(session, booking, now)
    else:
        session.add(booking)
        await session.flush()
    assert booking.id is not None
    await occupy(session, placement, booking.id, now)
    record_change(
        session,
        booking_id=booking.id,
        actor=actor,
        action="booked",
        at=now,
        changes={
            "status": (None, booking.status),
            **{k: (None, v) for k, v in where_of(booking).items()},
        },
    )
    emit(
        session,
        EventKind.BOOKED,
        at=now,
        booking_id=booking.id,
        patient_id=patient.id,
        service_id=booking.service_id,
        source=booking.source,
        **where_of(booking),
    )
    return booking


async def _service_and_patient(
    session: AsyncSession, request: VisitRequest
) -> tuple[Service, Patient, bool]:
    """Both in one read, with whether the clinic keeps one visit per patient and service;
    which is missing is asked apart only when one is."""
    row = (
        await session.execute(
            select(Service, Patient, guard_switch())
            .join(Patient, true())  # two rows by their keys: one row, or none
            .where(col(Service.id) == request.service_id, col(Patient.id) == request.patient_id)
        )
    ).first()
    if row is None or not row.Service.active:
        await load_service(session, request.service_id)  # raises for a missing service
        raise NotFound("no such patient")
    return row.Service, row.Patient, bool(row.guarded)


def where_of(booking: Booking) -> PlacedColumns:
    """Where a booking's visit is, as the columns `placement_columns` sets."""
    return PlacedColumns(
        doctor_id=booking.doctor_id,
        branch_id=booking.branch_id,
        room_id=booking.room_id,
        start_at=booking.start_at,
        end_at=booking.end_at,
    )


async def local_day(session: AsyncSession, placement: Placement) -> date:
    """The visit's calendar day at its branch (ages and restrictions are judged on it)."""
    zone = placement.timezone
    if zone is None:
        zone = (await session.get_one(Branch, placement.branch_id)).timezone
    return placement.start_at.astimezone(ZoneInfo(zone)).date()
