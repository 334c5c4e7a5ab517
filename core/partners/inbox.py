"""Inbound sync: what a partner tells us is stored first, then applied once.

`receive` inserts each notice under its key (a unique constraint): a push
redelivered, or pulled after it was pushed, inserts nothing, so the face can
acknowledge at once. `apply_pending` takes stored notices in arrival order
(`FOR UPDATE SKIP LOCKED` on PostgreSQL) and changes the bookings through the
same core rules as every channel, as the partner's actor.

A booking from the partner is written with its link in one transaction, so it
exists once. A move or a cancellation goes through `BookingService` and is
recognised as done when replayed (the visit already there, already
cancelled), so a worker lost between the change and the mark repeats nothing.

A partner booking for a time taken here is refused: the partner is asked to
cancel it with the reason (an operation like any other, retried, shown to
staff if it fails) and a `partner.conflict` event tells the desk.
`decide` answers a blocking request (`slot-booking`): it books here at once
so the answer is true when given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest, place_booking
from core.booking.service import BookingService
from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import DomainError, InvalidTransition
from core.journal import emit
from core.models import (
    Booking,
    Contact,
    PartnerBooking,
    PartnerMapping,
    PartnerNotification,
    PartnerOperation,
    Patient,
)
from core.partners.port import Notice, NoticeKind, PartnerPatient
from core.patients.cards import attach_contact, normalize_contact
from core.vocab import (
    Channel,
    ContactKind,
    EventKind,
    MappingKind,
    PartnerOpKind,
    PartnerOpStatus,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: str = ""  # why not, in the engine's words (a DomainError code)


@dataclass
class ApplyReport:
    applied: int = 0
    duplicates: int = 0
    refused: int = 0
    waiting: int = 0  # left for later: what they speak of has not arrived yet


class _Later(Exception):
    """What the notice speaks of has not arrived yet (notifications come out of order)."""


# How long a notice may wait for the one it depends on before it is refused.
WAIT_FOR_ORDER = timedelta(hours=1)


class Refused(Exception):
    """The notice cannot be applied here; `code` says why (for the partner and staff)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PartnerInbox:
    def __init__(self, db: Database, clock: Clock, booking: BookingService) -> None:
        self.db = db
        self.clock = clock
        self.booking = booking

    async def receive(self, partner: Channel, notices: Sequence[Notice]) -> int:
        """Store what is new; how many were. Redeliveries insert nothing."""
        if not notices:
            return 0
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            stored = 0
            for notice in notices:
                rows = await session.execute(
                    insert_or_skip(session, PartnerNotification, "partner", "key")
                    .values(
                        partner=partner,
                        key=notice.key[:200],
                        name=notice.name[:64],
                        kind=notice.kind,
                        remote_booking_id=notice.remote_booking_id[:100],
                        payload=notice.to_payload(),
                        received_at=now,
                    )
                    .returning(col(PartnerNotification.id))
                )
                stored += rows.first() is not None
            return stored

        return await self.db.write(work)

    async def apply_pending(self, batch: int = 50) -> ApplyReport:
        """Apply stored notices in arrival order. One that must wait for another (a move
        that came before its booking) is tried again after the others, in this sweep
        while the others make progress, else in a later one."""
        report = ApplyReport()
        while True:
            applied_before, report.waiting = report.applied, 0
            after = 0
            while pending := await self._pending(after, batch):
                for row in pending:
                    await self._apply_one(row, report)
                after = pending[-1].id or after
            if not report.waiting or report.applied == applied_before:
                return report

    async def _pending(self, after: int, batch: int) -> list[PartnerNotification]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(PartnerNotification)
                .where(
                    col(PartnerNotification.applied_at).is_(None),
                    col(PartnerNotification.id) > after,
                )
                .order_by(col(PartnerNotification.id))
                .limit(batch)
            )
            return list(rows.scalars())

    async def decide(self, partner: Channel, notice: Notice) -> Decision:
        """A blocking request: store it and apply it now; refused if the time is taken."""
        await self.receive(partner, [notice])
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(PartnerNotification).where(
                        col(PartnerNotification.partner) == partner,
                        col(PartnerNotification.key) == notice.key[:200],
                    )
                )
            ).scalar_one()
        outcome = await self._apply_one(row, ApplyReport(), blocking=True)
        if outcome.startswith("refused"):
            return Decision(False, outcome.removeprefix("refused: "))
        return Decision(True)

    async def _apply_one(
        self, row: PartnerNotification, report: ApplyReport, *, blocking: bool = False
    ) -> str:
        assert row.id is not None
        notice = Notice.from_payload(row.key, row.name, row.payload)
        partner = row.partner
        if row.applied_at is not None:
            report.duplicates += 1
            return row.outcome or "applied"
        try:
            if notice.kind is NoticeKind.BOOKED:
                outcome = await self._book(row.id, partner, notice)
            elif notice.kind is NoticeKind.MOVED:
                outcome = await self._move(partner, notice, row.received_at)
            elif notice.kind is NoticeKind.CANCELLED:
                outcome = await self._cancel(partner, notice)
            elif notice.kind in (NoticeKind.LINKED, NoticeKind.UNLINKED):
                outcome = await self._link_patient(partner, notice)
            else:
                outcome = "nothing to apply"
        except _Later:
            report.waiting += 1
            return "waiting"
        except Refused as exc:
            outcome = f"refused: {exc.code}"
            await self._refuse(row, partner, notice, exc.code, cancel_there=not blocking)
            report.refused += 1
            return outcome
        if outcome == "applied":
            report.applied += 1
        else:
            report.duplicates += 1
        await self._mark(row.id, outcome)
        return outcome

    async def _mark(self, notification_id: int, outcome: str) -> None:
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(PartnerNotification)
                .where(
                    col(PartnerNotification.id) == notification_id,
                    col(PartnerNotification.applied_at).is_(None),
                )
                .values(applied_at=now, outcome=outcome[:300])
            )

        await self.db.write(work)

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
                        VisitRequest(patient_id, service, doctor, notice.start_at),
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
            raise _Later
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

    async def _refuse(
        self,
        row: PartnerNotification,
        partner: Channel,
        notice: Notice,
        code: str,
        *,
        cancel_there: bool,
    ) -> None:
        """Record the refusal; unless the partner was answered already (a blocking request),
        ask it to cancel its booking, and tell the desk."""
        now = self.clock.now()
        assert row.id is not None
        log.warning("%s notice %s refused: %s", partner, row.id, code)

        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(PartnerNotification)
                .where(col(PartnerNotification.id) == row.id)
                .values(applied_at=now, outcome=f"refused: {code}"[:300])
            )
            if not cancel_there or notice.kind is not NoticeKind.BOOKED:
                return
            await session.execute(
                insert_or_skip(session, PartnerOperation, "partner", "key").values(
                    partner=partner,
                    key=f"refuse:{notice.remote_booking_id}"[:100],
                    kind=PartnerOpKind.CANCEL,
                    subject=f"remote:{notice.remote_booking_id}"[:64],
                    payload={
                        "remote_booking_id": notice.remote_booking_id,
                        "reason": REFUSAL_REASONS.get(code, REFUSAL_REASONS["default"]),
                    },
                    status=PartnerOpStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            emit(
                session,
                EventKind.PARTNER_CONFLICT,
                at=now,
                partner=partner,
                remote_booking_id=notice.remote_booking_id,
                start_at=notice.start_at,
                reason=code,
            )

        await self.db.write(work)


# What the partner's patient is told when we cancel a booking we could not take.
REFUSAL_REASONS = {
    "slot_taken": "The time was booked at the clinic meanwhile; please choose another.",
    "outside_availability": "The clinic no longer offers this time.",
    "unmapped": "The clinic cannot take this booking online; please call the clinic.",
    "default": "The clinic cannot take this booking; please call the clinic.",
}


async def _linked(session: AsyncSession, partner: Channel, remote_id: str | None) -> int | None:
    if not remote_id:
        return None
    found = await session.execute(
        select(col(PartnerBooking.booking_id)).where(
            col(PartnerBooking.partner) == partner, col(PartnerBooking.remote_id) == remote_id
        )
    )
    return found.scalar()


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
    """The card with the partner patient's e-mail, or a new one flagged for verification."""
    if patient is None:
        raise Refused("invalid_input")
    email = None
    if patient.email:
        try:
            email = normalize_contact(ContactKind.EMAIL, patient.email)
        except DomainError:
            email = None
    if email is not None:
        found = await session.execute(
            select(col(Contact.patient_id)).where(
                col(Contact.kind) == ContactKind.EMAIL, col(Contact.value) == email
            )
        )
        if (patient_id := found.scalar()) is not None:
            return patient_id
    card = Patient(
        first_name=(patient.first_name or "?")[:100],
        last_name=(patient.last_name or "?")[:100],
        birth_date=patient.birth_date,
        sex=patient.sex,
        needs_verification=True,
        created_at=now,
    )
    session.add(card)
    await session.flush()
    assert card.id is not None
    if email is not None:
        await attach_contact(session, card.id, ContactKind.EMAIL, email, 0)
    if patient.phone:
        try:
            phone = normalize_contact(ContactKind.PHONE, patient.phone)
            async with session.begin_nested():
                await attach_contact(session, card.id, ContactKind.PHONE, phone, 1)
        except DomainError:  # malformed, or another card's: staff verify the card anyway
            pass
    return card.id
