"""The steps that changes to an existing booking share, inside the change's transaction.

Finding the booking for the actor (row-locked; a patient sees their own and those of
the cards in their care, a staff member those in their reach), moving its status or
what the patient was told (with the booking's history and the outbox event), and
announcing a freed time (the event, then the waiting list's offer). `BookingService`
calls them, and the notification dispatcher records what it told the patient the same
way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.guard import drop_mark
from core.booking.placement import PlacedColumns, Placement
from core.booking.waitlist_offers import WaitlistPolicy, offer_freed_time
from core.errors import InvalidTransition, NotFound
from core.journal import emit, record_change
from core.models import Booking
from core.patients.care import in_care
from core.schedule.occupancy import release_booking
from core.vocab import STATUS_FLOW, ActorKind, BookingStatus, CommunicationStatus, EventKind


async def load_for_change(session: AsyncSession, booking_id: int, actor: Actor) -> Booking:
    """The booking, row-locked; a patient sees their own and their dependents' (others
    are 'not found')."""
    booking = (
        await session.execute(
            select(Booking).where(col(Booking.id) == booking_id).with_for_update()
        )
    ).scalar_one_or_none()
    if booking is None or not await sees(session, actor, booking):
        raise NotFound("no such booking")
    return booking


async def sees(session: AsyncSession, actor: Actor, booking: Booking) -> bool:
    """A patient sees their own visits and those of the cards in their care (a guardian
    manages a child's visits as their own); a staff member those in their reach."""
    if actor.kind is ActorKind.PATIENT:
        return actor.id == str(booking.patient_id) or await in_care(
            session, int(actor.id), booking.patient_id
        )
    return actor.reach is None or actor.reach.covers(booking.branch_id, booking.doctor_id)


async def change_status(
    session: AsyncSession, booking: Booking, status: BookingStatus, actor: Actor, now: datetime
) -> None:
    """Move the booking along the status flow (a patient may only confirm); a status
    that is no longer active gives the visit's time back."""
    if status not in STATUS_FLOW[booking.status]:
        raise InvalidTransition(f"{booking.status} cannot become {status}")
    if actor.kind is ActorKind.PATIENT and status is not BookingStatus.CONFIRMED:
        raise InvalidTransition("a patient can only confirm a visit")
    assert booking.id is not None
    previous, booking.status, booking.updated_at = booking.status, status, now
    if not status.active or status is BookingStatus.COMPLETED:
        drop_mark(booking)
    if not status.active:
        await release_booking(session, booking.id)
    record_change(
        session,
        booking_id=booking.id,
        actor=actor,
        action="status",
        at=now,
        changes={"status": (previous, status)},
    )
    emit(
        session,
        EventKind.STATUS_CHANGED,
        at=now,
        booking_id=booking.id,
        old_status=previous,
        status=status,
    )


def record_communication(
    session: AsyncSession,
    booking: Booking,
    status: CommunicationStatus,
    actor: Actor,
    now: datetime,
) -> None:
    """Set what the patient has been told, in the booking's history when it changes."""
    previous, booking.communication_status = booking.communication_status, status
    assert booking.id is not None
    if previous != status:
        record_change(
            session,
            booking_id=booking.id,
            actor=actor,
            action="communication",
            at=now,
            changes={"communication_status": (previous, status)},
        )


async def announce_freed(
    session: AsyncSession,
    where: PlacedColumns,
    service_id: int,
    now: datetime,
    policy: WaitlistPolicy,
) -> None:
    """Tell that a visit's time (`where_of` the booking) is free again, and offer it to
    the waiting list if it is still ahead."""
    emit(session, EventKind.SLOT_FREED, at=now, service_id=service_id, **where)
    if where["start_at"] > now:
        await offer_freed_time(
            session,
            Placement(**where),
            service_id,
            now,
            policy,
        )
