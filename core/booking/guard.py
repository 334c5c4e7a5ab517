"""One future visit per patient and service, when the clinic switches the guard on (the
rule CeR keeps across facilities), guaranteed by the database in every channel.

A guarded visit carries `service_guard = true`; the unique constraint over (patient,
service, service_guard) lets no second one in, and NULLs never collide, so unguarded
visits (guard off, cancelled, done) are free of it. The mark is taken inside the
booking's own transaction, under a savepoint so the refusal can name the visit that
holds it; a visit that is over but was never closed (no arrival or no-show marked)
gives its mark up first, in the same transaction. Visits booked before the guard was
switched on are not marked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Label
from sqlmodel import col

from core.errors import AlreadyBooked
from core.models import Booking, Branch, Clinic, Service

CONSTRAINT = "uq_booking_one_per_service"


def guard_switch() -> Label[bool]:
    """The clinic's switch of a service, as a column to read with the service (no extra
    statement on the booking's path)."""
    return (
        select(col(Clinic.one_booking_per_service))
        .where(col(Clinic.id) == col(Service.clinic_id))
        .scalar_subquery()
        .label("guarded")
    )


async def guarded(session: AsyncSession, service_id: int) -> bool:
    found = await session.execute(
        select(col(Clinic.one_booking_per_service))
        .join(Service, col(Service.clinic_id) == col(Clinic.id))
        .where(col(Service.id) == service_id)
    )
    return bool(found.scalar())


async def take_mark(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Make `booking` (new or restored, not yet flushed) the patient's one visit of its
    service, or raise `AlreadyBooked` naming the one that is."""
    await session.execute(
        update(Booking)
        .where(
            col(Booking.patient_id) == booking.patient_id,
            col(Booking.service_id) == booking.service_id,
            col(Booking.service_guard).is_(True),
            col(Booking.end_at) <= now,
        )
        .values(service_guard=None)
    )
    mine = (booking.patient_id, booking.service_id, booking.id or 0)
    try:
        async with session.begin_nested():  # flushes what came before, then the mark alone
            booking.service_guard = True
            session.add(booking)
            await session.flush()
    except IntegrityError as exc:
        if CONSTRAINT not in str(exc.orig) and "service_guard" not in str(exc.orig):
            raise
        raise await _refusal(session, *mine) from None


async def _refusal(
    session: AsyncSession, patient_id: int, service_id: int, booking_id: int
) -> AlreadyBooked:
    with session.no_autoflush:  # the refused row is not written again
        holder = (
            await session.execute(
                select(col(Booking.id), col(Booking.start_at), col(Branch.timezone))
                .join(Branch, col(Branch.id) == col(Booking.branch_id))
                .where(
                    col(Booking.patient_id) == patient_id,
                    col(Booking.service_id) == service_id,
                    col(Booking.service_guard).is_(True),
                    col(Booking.id) != booking_id,
                )
            )
        ).first()
    if holder is None:  # released meanwhile: a retry would pass, but say what we know
        return AlreadyBooked("the patient has a visit of this service")
    return AlreadyBooked(
        "the patient has a visit of this service",
        booking_id=holder.id,
        start_at=holder.start_at.isoformat(),
        timezone=holder.timezone,
    )


def drop_mark(booking: Booking) -> None:
    """The visit no longer holds the patient's turn (cancelled, no-show, done)."""
    booking.service_guard = None
