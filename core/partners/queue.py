"""What is queued for a partner: the subjects operations are ordered by (a booking, a day
of a doctor's calendar), a day's publication queued once, a visit sent once. The planner
(`core.partners.plan`) and the full republication (`PartnerSync.publish_all`) queue
through here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cause import current_cause
from core.db.database import insert_or_skip
from core.journal import plain
from core.models import Booking, OutboxEvent, PartnerBooking, PartnerOperation
from core.vocab import Channel, PartnerOpKind, PartnerOpStatus

OPEN = (PartnerOpStatus.PENDING, PartnerOpStatus.CLAIMED, PartnerOpStatus.FAILED)


def booking_subject(booking_id: int) -> str:
    return f"booking:{booking_id}"


def slots_subject(doctor_id: int, day: date) -> str:
    return f"slots:{doctor_id}:{day.isoformat()}"


async def queued(session: AsyncSession, partner: Channel, subject: str) -> bool:
    """Whether an operation of this subject waits untouched (it will read today's state)."""
    found = await session.execute(
        select(col(PartnerOperation.id)).where(
            col(PartnerOperation.partner) == partner,
            col(PartnerOperation.subject) == subject,
            col(PartnerOperation.status) == PartnerOpStatus.PENDING,
        )
    )
    return found.first() is not None


async def send_visit(
    session: AsyncSession, partner: Channel, event: OutboxEvent, booking: Booking, due: datetime
) -> bool:
    """A visit the partner has not got: booked there from `due`, unless it is on its way
    already (a refused attempt, say for a service not mapped then, is retried)."""
    assert booking.id is not None
    linked = await session.execute(
        select(col(PartnerBooking.id)).where(
            col(PartnerBooking.partner) == partner, col(PartnerBooking.booking_id) == booking.id
        )
    )
    if linked.first() is not None:
        return False
    subject = booking_subject(booking.id)
    waiting = col(PartnerOperation.partner) == partner, col(PartnerOperation.subject) == subject
    retried = await session.execute(
        update(PartnerOperation)
        .where(*waiting, col(PartnerOperation.status) == PartnerOpStatus.FAILED)
        .values(status=PartnerOpStatus.PENDING, next_attempt_at=due, claimed_by=None)
        .returning(col(PartnerOperation.id))
    )
    if retried.first() is not None:
        return True
    if (
        await session.execute(
            select(col(PartnerOperation.id)).where(*waiting, col(PartnerOperation.status).in_(OPEN))
        )
    ).first() is not None:
        return False
    payload = {
        "doctor_id": booking.doctor_id,
        "start_at": plain(booking.start_at),
        "end_at": plain(booking.end_at),
    }
    key = f"{event.id}:{PartnerOpKind.BOOK}:{subject}"
    return await add_operation(
        session, partner, key, PartnerOpKind.BOOK, subject, payload, due, booking_id=booking.id
    )


async def queue_publish(
    session: AsyncSession, partner: Channel, doctor_id: int, day: date, key: str, now: datetime
) -> bool:
    """Queue a day of a doctor's slots for publishing unless already queued."""
    subject = slots_subject(doctor_id, day)
    if await queued(session, partner, subject):
        return False
    return await add_operation(
        session, partner, f"{key}:{subject}", PartnerOpKind.PUBLISH_SLOTS, subject, {}, now
    )


async def add_operation(
    session: AsyncSession,
    partner: Channel,
    key: str,
    kind: PartnerOpKind,
    subject: str,
    payload: dict[str, Any],
    due: datetime,
    *,
    booking_id: int | None = None,
) -> bool:
    """An operation owed to the partner from `due`, unless one with its key exists (the
    key is unique: the same cause queues it once). Whether it was added."""
    inserted = await session.execute(
        insert_or_skip(session, PartnerOperation, "partner", "key")
        .values(
            partner=partner,
            key=key[:100],
            kind=kind,
            subject=subject[:64],
            booking_id=booking_id,
            payload=payload,
            status=PartnerOpStatus.PENDING,
            attempts=0,
            next_attempt_at=due,
            created_at=due,
            cause=current_cause(),
        )
        .returning(col(PartnerOperation.id))
    )
    return inserted.first() is not None
