"""Booking a visit and everything that happens to it after: hold, book, move, cancel,
restore, statuses. Each operation is one transaction that also writes the change
history and the outbox event, so nothing is recorded that did not happen.
(Where a visit may go: placement.py; the steps changes share: changes.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.changes import (
    announce_freed,
    change_status,
    load_for_change,
    record_communication,
    sees,
)
from core.booking.gate import EligibilityGate
from core.booking.guard import drop_mark, guarded, take_mark
from core.booking.placement import (
    Placement,
    VisitRequest,
    check_reach,
    drop_hold,
    hold_time,
    load_service,
    local_day,
    locate,
    occupy,
    place_booking,
    placement_columns,
    redeem_hold,
    where_of,
)
from core.booking.waitlist_offers import WaitlistPolicy
from core.clinic.restrictions import check_restrictions
from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.journal import emit, record_change
from core.models import Booking, BookingChange, Guardianship, Hold, Patient
from core.patients.care import require_care
from core.schedule.occupancy import release_booking
from core.vocab import ActorKind, BookingStatus, Channel, CommunicationStatus, EventKind

CANCELLABLE = frozenset({BookingStatus.BOOKED, BookingStatus.CONFIRMED})

# A step of the caller's inside a booking's transaction (a booking link spent): what it
# raises undoes the booking too.
AlsoInTransaction = Callable[[AsyncSession, Booking], Awaitable[None]]


@dataclass(frozen=True)
class HoldTicket:
    token: str
    expires_at: datetime
    placement: Placement


class BookingService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        hold_ttl: timedelta = timedelta(minutes=5),
        waitlist: WaitlistPolicy | None = None,
        eligibility: EligibilityGate | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.hold_ttl = hold_ttl
        self.waitlist = waitlist or WaitlistPolicy()
        self.eligibility = eligibility

    # -- find, hold --------------------------------------------------------

    async def hold(
        self, channel: Channel, service_id: int, doctor_id: int, start_at: datetime
    ) -> HoldTicket:
        """Keep a slot for one conversation; it is invisible to others until it expires."""
        now = self.clock.now()
        _check_future(start_at, now)

        async def work(session: AsyncSession) -> HoldTicket:
            service = await load_service(session, service_id)
            placement = await locate(session, service, doctor_id, start_at, channel)
            expires_at = now + self.hold_ttl
            hold = await hold_time(
                session,
                placement,
                service_id=service_id,
                channel=channel,
                now=now,
                expires_at=expires_at,
            )
            return HoldTicket(hold.token, expires_at, placement)

        return await self.db.write(work)

    async def release(self, token: str) -> None:
        """Give a held slot back at once (the patient chose another)."""

        async def work(session: AsyncSession) -> None:
            hold = (
                await session.execute(select(Hold).where(col(Hold.token) == token))
            ).scalar_one_or_none()
            if hold is not None:
                assert hold.id is not None
                await drop_hold(session, hold.id)

        await self.db.write(work)

    async def sweep_holds(self) -> int:
        """Delete holds that expired (their cells already count as free); how many."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            expired = list(
                (
                    await session.execute(
                        select(Hold).where(
                            col(Hold.expires_at) <= now,
                            col(Hold.channel) != Channel.SYSTEM,  # the waiting list's own
                        )
                    )
                ).scalars()
            )
            for hold in expired:
                assert hold.id is not None
                await drop_hold(session, hold.id)
            return len(expired)

        return await self.db.write(work)

    # -- book, move, cancel, restore -----------------------------------------

    async def _ask_gate(
        self, actor: Actor, patient_id: int, service_id: int, start_at: datetime
    ) -> None:
        """The payer asked, outside any transaction (it is a call to the partner)."""
        if self.eligibility is not None and actor.kind is not ActorKind.PARTNER:
            await self.eligibility.verify(patient_id, service_id, start_at)

    async def _ask_gate_about(
        self, actor: Actor, booking_id: int, start_at: datetime | None
    ) -> None:
        """The gate asked about an existing visit at `start_at` (None: its own time); one
        the actor may not see is left to the transaction to refuse as unknown."""
        if self.eligibility is None or actor.kind is ActorKind.PARTNER:
            return
        async with self.db.read() as session:
            booking = await session.get(Booking, booking_id)
            if booking is None or not await sees(session, actor, booking):
                return
        await self._ask_gate(
            actor, booking.patient_id, booking.service_id, start_at or booking.start_at
        )

    async def book(
        self, actor: Actor, request: VisitRequest, *, also: AlsoInTransaction | None = None
    ) -> Booking:
        now = self.clock.now()
        if actor.kind is not ActorKind.STAFF:
            _check_future(request.start_at, now)
        # A patient books for their own card, or for one in their care (a child).
        for_dependent = actor.kind is ActorKind.PATIENT and actor.id != str(request.patient_id)
        await self._ask_gate(actor, request.patient_id, request.service_id, request.start_at)

        async def work(session: AsyncSession) -> Booking:
            if for_dependent:
                await require_care(session, int(actor.id), request.patient_id)
            booking = await place_booking(session, actor, request, now)
            if also is not None:
                await also(session, booking)
            return booking

        return await self.db.write(work)

    async def reschedule(
        self,
        actor: Actor,
        booking_id: int,
        *,
        doctor_id: int,
        start_at: datetime,
        hold_token: str | None = None,
        also: AlsoInTransaction | None = None,
    ) -> Booking:
        """Move a visit to another time, doctor or branch, keeping its service.

        The old time is given up only if the new one is secured: one transaction.
        """
        now = self.clock.now()
        if actor.kind is not ActorKind.STAFF:
            _check_future(start_at, now)
        await self._ask_gate_about(actor, booking_id, start_at)

        async def work(session: AsyncSession) -> Booking:
            booking = await load_for_change(session, booking_id, actor)
            if booking.status not in CANCELLABLE:
                raise InvalidTransition(f"a {booking.status} visit cannot be moved")
            service = await load_service(session, booking.service_id)
            patient = await session.get_one(Patient, booking.patient_id)
            placement = await locate(session, service, doctor_id, start_at, actor.channel)
            check_reach(actor, placement)
            check_restrictions(service, patient, await local_day(session, placement))
            old = where_of(booking)
            assert booking.id is not None
            await release_booking(session, booking.id)
            if hold_token:
                await redeem_hold(session, hold_token, placement)
            await occupy(session, placement, booking.id, now)
            booking.sqlmodel_update(dict(placement_columns(placement)))
            booking.updated_at = now
            changes = {
                k: (v, getattr(booking, k)) for k, v in old.items() if v != getattr(booking, k)
            }
            record_change(
                session, booking_id=booking.id, actor=actor, action="moved", at=now, changes=changes
            )
            emit(
                session,
                EventKind.MOVED,
                at=now,
                booking_id=booking.id,
                channel=actor.channel,
                **{f"old_{k}": v for k, v in old.items()},
                **where_of(booking),
            )
            await announce_freed(session, old, booking.service_id, now, self.waitlist)
            if also is not None:
                await also(session, booking)
            return booking

        return await self.db.write(work)

    async def cancel(self, actor: Actor, booking_id: int, reason: str) -> Booking:
        """Cancel with a reason; the booking goes to the trash and its time is freed."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> Booking:
            return await cancel_in(session, actor, booking_id, reason, now, self.waitlist)

        return await self.db.write(work)

    async def restore(self, actor: Actor, booking_id: int) -> Booking:
        """Bring a cancelled booking back from the trash, if its time is still free."""
        now = self.clock.now()
        await self._ask_gate_about(actor, booking_id, None)

        async def work(session: AsyncSession) -> Booking:
            booking = await load_for_change(session, booking_id, actor)
            if booking.status is not BookingStatus.CANCELLED:
                raise InvalidTransition("only a cancelled booking can be restored")
            if booking.start_at < now:
                raise InvalidTransition("the visit's time has passed")
            service = await load_service(session, booking.service_id)
            # The desk restores whatever the channel; the slot must still exist.
            placement = await locate(
                session,
                service,
                booking.doctor_id,
                booking.start_at,
                Channel.STAFF if actor.kind is ActorKind.STAFF else actor.channel,
            )
            assert booking.id is not None
            await occupy(session, placement, booking.id, now)
            booking.status = BookingStatus.BOOKED
            reason, booking.cancel_reason, booking.cancelled_at = booking.cancel_reason, None, None
            booking.updated_at = now
            if await guarded(session, booking.service_id):
                await take_mark(session, booking, now)
            record_change(
                session,
                booking_id=booking.id,
                actor=actor,
                action="restored",
                at=now,
                changes={
                    "status": (BookingStatus.CANCELLED, booking.status),
                    "cancel_reason": (reason, None),
                },
            )
            emit(
                session,
                EventKind.RESTORED,
                at=now,
                booking_id=booking.id,
                channel=actor.channel,
                **where_of(booking),
            )
            return booking

        return await self.db.write(work)

    async def set_status(self, actor: Actor, booking_id: int, status: BookingStatus) -> Booking:
        """Move along booked → confirmed → arrived → in progress → completed (or no-show)."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> Booking:
            booking = await load_for_change(session, booking_id, actor)
            await change_status(session, booking, status, actor, now)
            return booking

        return await self.db.write(work)

    async def set_communication_status(
        self, actor: Actor, booking_id: int, status: CommunicationStatus
    ) -> Booking:
        now = self.clock.now()

        async def work(session: AsyncSession) -> Booking:
            booking = await load_for_change(session, booking_id, actor)
            record_communication(session, booking, status, actor, now)
            return booking

        return await self.db.write(work)

    async def confirm_attendance(self, actor: Actor, booking_id: int) -> Booking:
        """The patient says they will come (a reminder's "I will come"): see `confirm_in`."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> Booking:
            return await confirm_in(session, actor, booking_id, now)

        return await self.db.write(work)

    # -- reading ---------------------------------------------------------------

    async def get(self, booking_id: int) -> Booking:
        async with self.db.read() as session:
            booking = await session.get(Booking, booking_id)
        if booking is None:
            raise NotFound("no such booking")
        return booking

    async def get_for(self, actor: Actor, booking_id: int) -> Booking:
        """The booking as `actor` may see it (a patient: their own or a dependent's), else
        `NotFound`: what a face checks before it names a visit or offers to change it."""
        async with self.db.read() as session:
            booking = await session.get(Booking, booking_id)
            if booking is None or not await sees(session, actor, booking):
                raise NotFound("no such booking")
        return booking

    async def upcoming(self, patient_id: int) -> list[Booking]:
        """The active visits from now on of a card and of the cards in its care, earliest
        first: "My visits" (a guardian's shows their children's too)."""
        dependents = select(col(Guardianship.dependent_id)).where(
            col(Guardianship.guardian_id) == patient_id
        )
        async with self.db.read() as session:
            rows = await session.execute(
                select(Booking)
                .where(
                    or_(
                        col(Booking.patient_id) == patient_id,
                        col(Booking.patient_id).in_(dependents),
                    ),
                    col(Booking.start_at) >= self.clock.now(),
                    col(Booking.status).in_([s.value for s in BookingStatus if s.active]),
                )
                .order_by(col(Booking.start_at), col(Booking.id))
            )
            return list(rows.scalars())

    async def last_service(self, patient_id: int) -> int | None:
        """The service of a patient's latest visit not cancelled (the latest by when it
        takes place): what "book again" offers."""
        async with self.db.read() as session:
            found = await session.execute(
                select(col(Booking.service_id))
                .where(
                    col(Booking.patient_id) == patient_id,
                    col(Booking.status) != BookingStatus.CANCELLED.value,
                )
                .order_by(col(Booking.start_at).desc(), col(Booking.id).desc())
                .limit(1)
            )
            return found.scalar_one_or_none()

    async def history(self, booking_id: int) -> list[BookingChange]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(BookingChange)
                .where(col(BookingChange.booking_id) == booking_id)
                .order_by(col(BookingChange.id))
            )
            return list(rows.scalars())


async def cancel_in(
    session: AsyncSession,
    actor: Actor,
    booking_id: int,
    reason: str,
    now: datetime,
    policy: WaitlistPolicy,
) -> Booking:
    """Cancel inside the caller's transaction (also an SMS reply's): the booking goes to
    the trash, its time is freed and offered to the waiting list."""
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("a reason (at most 500 characters) is required")
    booking = await load_for_change(session, booking_id, actor)
    if booking.status not in CANCELLABLE:
        raise InvalidTransition(f"a {booking.status} visit cannot be cancelled")
    assert booking.id is not None
    await release_booking(session, booking.id)
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    drop_mark(booking)
    booking.cancel_reason = reason
    booking.cancelled_at = now
    booking.updated_at = now
    record_change(
        session,
        booking_id=booking.id,
        actor=actor,
        action="cancelled",
        at=now,
        changes={"status": (previous, booking.status), "cancel_reason": (None, reason)},
    )
    emit(
        session,
        EventKind.CANCELLED,
        at=now,
        booking_id=booking.id,
        reason=reason,
        by=actor.kind,
        channel=actor.channel,
        **where_of(booking),
    )
    await announce_freed(session, where_of(booking), booking.service_id, now, policy)
    return booking


async def confirm_in(
    session: AsyncSession, actor: Actor, booking_id: int, now: datetime
) -> Booking:
    """The patient will come, inside the caller's transaction: a booked visit becomes
    confirmed, and so does what the clinic was told. `InvalidTransition` once the visit is
    cancelled or past its start."""
    booking = await load_for_change(session, booking_id, actor)
    if booking.status is BookingStatus.BOOKED:
        await change_status(session, booking, BookingStatus.CONFIRMED, actor, now)
    elif booking.status is not BookingStatus.CONFIRMED:
        raise InvalidTransition(f"a {booking.status} visit cannot be confirmed")
    record_communication(session, booking, CommunicationStatus.CONFIRMED_BY_PATIENT, actor, now)
    return booking


def _check_future(start_at: datetime, now: datetime) -> None:
    if start_at.tzinfo is None:
        raise InvalidInput("a time without its zone")
    if start_at < now:
        raise InvalidInput("that time has passed")
