"""Applying a partner's stored notice to the bookings, as the partner's actor, through the
same core rules as every channel; `PartnerInbox` stores the notices and marks each
with what came of it.

A booking from the partner is written with its link in one transaction, so it
exists once; one approved by a blocking request before it had an id there takes
that id when the booking's own notice comes (`old_remote_booking_id`). A move or
a cancellation goes through `BookingService` and is recognised as done when
replayed (the visit already there, already cancelled), so a worker lost between
the change and the mark repeats nothing.
A notice that cannot be applied here raises `Refused`; one that speaks of
something not arrived yet raises `Later`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest, place_booking
from core.booking.service import BookingService
from core.clock import Clock
from core.db.database import Database
from core.errors import DomainError, InvalidTransition
from core.models import (
    Booking,
    PartnerBooking,
    PartnerMapping,
    PartnerNotification,
    Patient,
)
from core.partners.port import Notice, NoticeKind, PartnerPatient
from core.patients.arrivals import Arrival, card_for
from core.patients.identity import normalize_pesel
from core.vocab import Channel, MappingKind


class Later(Exception):
    """What the notice speaks of has not arrived yet (notifications come out of order)."""


# How long a notice may wait for the one it depends on before it is refused.
WAIT_FOR_ORDER = timedelta(hours=1)


class Refused(Exception):
    """The notice cannot be applied here; `code` says why (for the partner and staff)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NoticeApplier:
    """What a stored notice does to the bookings, by its kind."""

    def __init__(self, db: Database, clock: Clock, booking: BookingService) -> None:
        self.db = db
        self.clock = clock
        self.booking = booking

    async def apply(
        self, notification_id: int, partner: Channel, notice: Notice, received_at: datetime
    ) -> str:
        """What came of it ("applied", or why it was already done); raises `Later` or
        `Refused`."""
        if notice.kind is NoticeKind.BOOKED:
            return await self._book(notification_id, partner, notice)
        if notice.kind is NoticeKind.MOVED:
            return await self._move(partner, notice, received_at)
        if notice.kind is NoticeKind.CANCELLED:
            return await self._cancel(partner, notice)
        if notice.kind in (NoticeKind.LINKED, NoticeKind.UNLINKED):
            return await self._link_patient(partner, notice)
        return "nothing to apply"

    async def _book(self, notification_id: int, partner: Channel, notice: Notice) -> str:
        """The partner's booking, its link and the notice's mark: one transaction."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> str:
            mine = await session.execute(
                update(PartnerNotification)
                .where(
                    col(PartnerNotification.id) == notification_id,
                    col(PartnerNotification.applied_at).is_(None),
                )
                .values(applied_at=now, outcome="applied")
                .returning(col(PartnerNotification.id))
            )
            if mine.first() is None:
                return "already applied"
            if await _linked(session, partner, notice.remote_booking_id) is not None:
                return "already booked"
            if await _linked(session, partner, notice.old_remote_booking_id) is not None:
                await _relink(session, partner, notice.old_remote_booking_id, notice)
                return "already booked (approved before)"
            if await _cancelled_there(session, partner, notice.remote_booking_id):
                return "cancelled there before it arrived"
            doctor = await _local(session, partner, MappingKind.DOCTOR, notice.doctor)
            service = await _local(session, partner, MappingKind.SERVICE, notice.service)
            if doctor is None or service is None or notice.start_at is None:
                raise Refused("unmapped")
            patient_id = await _patient(session, notice.patient, now)
            try:
                async with session.begin_nested():
                    booking = await place_booking(
                        session,
                        Actor.partner(partner),
                        VisitRequest(
                            patient_id,
                            service,
                            doctor,
                            notice.start_at,
                            e_referral=notice.extra.get("e_referral") or None,
                        ),
                        now,
                    )
            except DomainError as exc:
                raise Refused(exc.code) from exc
            assert booking.id is not None
            session.add(
                PartnerBooking(
                    partner=partner, booking_id=booking.id, remote_id=notice.remote_booking_id
                )
            )
            return "applied"

        return await self.db.write(work)

    async def _move(self, partner: Channel, notice: Notice, received_at: datetime) -> str:
        async with self.db.read() as session:
            if await _linked(session, partner, notice.remote_booking_id) is not None:
                return "already moved"
            booking_id = await _linked(session, partner, notice.old_remote_booking_id)
            doctor = await _local(session, partner, MappingKind.DOCTOR, notice.doctor)
            booking = await session.get(Booking, booking_id) if booking_id else None
        if booking is None and self.clock.now() - received_at < WAIT_FOR_ORDER:
            raise Later
        if booking is None or doctor is None or notice.start_at is None:
            raise Refused("not_found" if booking is None else "unmapped")
        assert booking.id is not None
        if (booking.doctor_id, booking.start_at) != (doctor, notice.start_at):
            try:
                await self.booking.reschedule(
                    Actor.partner(partner), booking.id, doctor_id=doctor, start_at=notice.start_at
                )
            except DomainError as exc:
                raise Refused(exc.code) from exc
        if notice.remote_booking_id:  # a blocking `booking-moving` has no new id yet
            await self._relink(partner, booking.id, notice.remote_booking_id)
        return "applied"

    async def _relink(self, partner: Channel, booking_id: int, remote_id: str) -> None:
        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(PartnerBooking)
                .where(
                    col(PartnerBooking.partner) == partner,
                    col(PartnerBooking.booking_id) == booking_id,
                )
                .values(remote_id=remote_id)
            )

        await self.db.write(work)

    async def _cancel(self, partner: Channel, notice: Notice) -> str:
        async with self.db.read() as session:
            booking_id = await _linked(session, partner, notice.remote_booking_id)
        if booking_id is None:
            return "not booked here"
        try:
            await self.booking.cancel(
                Actor.partner(partner), booking_id, notice.reason or f"cancelled on {partner}"
            )
        except InvalidTransition:
            return "already cancelled"
        return "applied"

    async def _link_patient(self, partner: Channel, notice: Notice) -> str:
        """A card tied to (or untied from) the patient's account there: their visits are
        sent from now on (or no longer)."""
        try:
            local = int(notice.extra.get("local_patient", ""))
        except ValueError:
            raise Refused("not_found") from None
        remote = str(notice.extra.get("remote_patient", ""))[:200]

        async def work(session: AsyncSession) -> str:
            if await session.get(Patient, local) is None:
                raise Refused("not_found")
            await session.execute(
                delete(PartnerMapping).where(
                    col(PartnerMapping.partner) == partner,
                    col(PartnerMapping.kind) == MappingKind.PATIENT,
                    or_(
                        col(PartnerMapping.local_id) == local,
                        col(PartnerMapping.remote_id) == remote,
                    ),
                )
            )
            if notice.kind is NoticeKind.LINKED and remote:
                session.add(
                    PartnerMapping(
                        partner=partner, kind=MappingKind.PATIENT, local_id=local, remote_id=remote
                    )
                )
            return "applied"

        return await self.db.write(work)


async def _linked(session: AsyncSession, partner: Channel, remote_id: str | None) -> int | None:
    if not remote_id:
        return None
    found = await session.execute(
        select(col(PartnerBooking.booking_id)).where(
            col(PartnerBooking.partner) == partner, col(PartnerBooking.remote_id) == remote_id
        )
    )
    return found.scalar()


async def _relink(
    session: AsyncSession, partner: Channel, provisional: str | None, notice: Notice
) -> None:
    """A booking approved by a blocking request takes its id there when it is made."""
    await session.execute(
        update(PartnerBooking)
        .where(col(PartnerBooking.partner) == partner, col(PartnerBooking.remote_id) == provisional)
        .values(remote_id=notice.remote_booking_id)
    )


async def _cancelled_there(session: AsyncSession, partner: Channel, remote_id: str) -> bool:
    """Whether its cancellation came first (notifications may arrive out of order)."""
    found = await session.execute(
        select(col(PartnerNotification.id)).where(
            col(PartnerNotification.partner) == partner,
            col(PartnerNotification.remote_booking_id) == remote_id[:100],
            col(PartnerNotification.kind) == NoticeKind.CANCELLED,
        )
    )
    return found.first() is not None


async def _local(
    session: AsyncSession, partner: Channel, kind: MappingKind, remote_id: str | None
) -> int | None:
    if remote_id is None:
        return None
    found = await session.execute(
        select(col(PartnerMapping.local_id)).where(
            col(PartnerMapping.partner) == partner,
            col(PartnerMapping.kind) == kind,
            col(PartnerMapping.remote_id) == remote_id,
        )
    )
    return found.scalar()


async def _patient(session: AsyncSession, patient: PartnerPatient | None, now: datetime) -> int:
    """The card with the partner patient's PESEL or e-mail, or a new one flagged for
    verification (with the PESEL, when valid)."""
    if patient is None:
        raise Refused("invalid_input")
    pesel = patient.pesel
    if pesel:  # a partner's wrong PESEL is left out, not a refusal: staff verify the card
        try:
            normalize_pesel(pesel, birth_date=patient.birth_date)
        except DomainError:
            pesel = None
    arrival = Arrival(
        first_name=patient.first_name,
        last_name=patient.last_name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        pesel=pesel,
        email=patient.email,
        phone=patient.phone,
    )
    return await card_for(session, arrival, now)
