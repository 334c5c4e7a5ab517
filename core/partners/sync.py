"""Outbound sync: the outbox's domain events become operations owed to each partner,
delivered in order per subject, once, from any number of workers.

*Planning* reads the outbox past the partner's cursor, under a lock on the
cursor row, and inserts operations keyed `event:what` (a unique constraint:
planning an event twice inserts nothing). A booking's operations share the
subject `booking:N`; a day of a doctor's published slots is `slots:D:YYYY-MM-DD`,
and a day already waiting to be published is not queued twice (the slots are
read when the operation is delivered, so the later change is in it).
Changes that came from the partner itself are not sent back to it.

*Delivery* follows core/messaging/notifications.py: a batch of due operations is claimed
with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), only the first open
operation of each subject (so a cancel never overtakes its booking, and a
failed one holds back the rest until staff retry or discard it); a lost
worker's claims return after the lease. Timeouts, 5xx and 429 come back at
`next_attempt_at`, with exponential back-off and full jitter, never sooner
than the partner's Retry-After; a refusal (4xx) stops as `failed` with the
partner's words, for staff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.leases import Lease, claim, give_back
from core.models import (
    Booking,
    Branch,
    Contact,
    Doctor,
    DoctorService,
    OutboxEvent,
    PartnerBooking,
    PartnerCursor,
    PartnerMapping,
    PartnerOperation,
    Patient,
    Service,
    Slot,
)
from core.partners.port import (
    Outbound,
    PartnerClient,
    PartnerConflict,
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import (
    Availability,
    BookingStatus,
    Channel,
    ContactKind,
    EventKind,
    MappingKind,
    PartnerOpKind,
    PartnerOpStatus,
)

log = logging.getLogger(__name__)

OPEN = (PartnerOpStatus.PENDING, PartnerOpStatus.CLAIMED, PartnerOpStatus.FAILED)
_LINKING = (PartnerOpKind.BOOK, PartnerOpKind.MOVE, PartnerOpKind.CANCEL)
_BOOKING_EVENTS = (
    EventKind.BOOKED,
    EventKind.MOVED,
    EventKind.CANCELLED,
    EventKind.RESTORED,
    EventKind.STATUS_CHANGED,
)


_CALENDAR_LAST = case((col(PartnerOperation.kind) == PartnerOpKind.PUBLISH_SLOTS, 1), else_=0)


@dataclass(frozen=True)
class SyncPolicy:
    lease: timedelta = timedelta(seconds=60)
    batch: int = 50
    plan_batch: int = 500
    first_retry: timedelta = timedelta(seconds=5)
    last_retry: timedelta = timedelta(minutes=5)
    conflict_attempts: int = 5  # a calendar that disagrees: tries before staff see it

    def retry_at(self, now: datetime, attempts: int, retry_after: float | None) -> datetime:
        """Exponential back-off with full jitter, never before the partner's Retry-After."""
        ceiling = min(self.last_retry, self.first_retry * 2 ** max(0, attempts - 1))
        backoff: timedelta = self.first_retry / 2 + ceiling * random.random()  # noqa: S311
        return now + max(backoff, timedelta(seconds=retry_after or 0))


@dataclass
class SyncReport:
    planned: int = 0
    unmapped: int = 0  # changes of doctors the partner does not know: not sent, counted
    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    lost_claims: int = 0


def booking_subject(booking_id: int) -> str:
    return f"booking:{booking_id}"


def slots_subject(doctor_id: int, day: date) -> str:
    return f"slots:{doctor_id}:{day.isoformat()}"


async def remote_ids(session: AsyncSession, partner: Channel, kind: MappingKind) -> dict[int, str]:
    """Our ids of one kind to the partner's."""
    rows = await session.execute(
        select(col(PartnerMapping.local_id), col(PartnerMapping.remote_id)).where(
            col(PartnerMapping.partner) == partner, col(PartnerMapping.kind) == kind
        )
    )
    return {local: remote for local, remote in rows.all()}  # noqa: C416


Mappings = dict[MappingKind, dict[int, str]]


async def all_mappings(session: AsyncSession, partner: Channel) -> Mappings:
    return {kind: await remote_ids(session, partner, kind) for kind in MappingKind}


class _Planner:
    """Turns one partner's share of the outbox into operations (one transaction a batch)."""

    def __init__(self, client: PartnerClient, clock: Clock, policy: SyncPolicy) -> None:
        self.client = client
        self.partner = client.partner
        self.clock = clock
        self.policy = policy
        self.maps: Mappings = {}

    async def plan(self, session: AsyncSession, report: SyncReport) -> bool:
        """Plan one batch; whether there may be more."""
        await session.execute(
            insert_or_skip(session, PartnerCursor, "partner").values(
                partner=self.partner, last_event_id=0
            )
        )
        cursor = (
            await session.execute(
                select(PartnerCursor)
                .where(col(PartnerCursor.partner) == self.partner)
                .with_for_update()
            )
        ).scalar_one()
        events = list(
            (
                await session.execute(
                    select(OutboxEvent)
                    .where(
                        col(OutboxEvent.id) > cursor.last_event_id,
                        col(OutboxEvent.kind).in_(_BOOKING_EVENTS),
                    )
                    .order_by(col(OutboxEvent.id))
                    .limit(self.policy.plan_batch)
                )
            ).scalars()
        )
        if not events:
            return False
        self.maps = await all_mappings(session, self.partner)
        doctors = self.maps[MappingKind.DOCTOR]
        zones = {
            b.id: ZoneInfo(b.timezone) for b in (await session.execute(select(Branch))).scalars()
        }
        now = self.clock.now()
        for event in events:
            assert event.id is not None
            rows = await self._operations(session, event, doctors, zones, report)
            for kind, subject, extra in rows:
                if kind is PartnerOpKind.PUBLISH_SLOTS and await _queued(
                    session, self.partner, subject
                ):
                    continue
                inserted = await session.execute(
                    insert_or_skip(session, PartnerOperation, "partner", "key")
                    .values(
                        partner=self.partner,
                        key=f"{event.id}:{kind}:{subject}"[:100],
                        kind=kind,
                        subject=subject,
                        booking_id=event.booking_id,
                        payload=extra,
                        status=PartnerOpStatus.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    .returning(col(PartnerOperation.id))
                )
                report.planned += inserted.first() is not None
        cursor.last_event_id = events[-1].id or cursor.last_event_id
        return len(events) == self.policy.plan_batch

    async def _operations(
        self,
        session: AsyncSession,
        event: OutboxEvent,
        doctors: Mapping[int, str],
        zones: Mapping[int | None, ZoneInfo],
        report: SyncReport,
    ) -> list[tuple[PartnerOpKind, str, dict[str, Any]]]:
        p = event.payload
        assert event.booking_id is not None
        ours = p.get("source", p.get("channel")) != self.partner  # not the partner's own change
        if event.kind is EventKind.STATUS_CHANGED:
            booking = await session.get(Booking, event.booking_id)
            if booking is None:
                return []
            p = {
                "doctor_id": booking.doctor_id,
                "branch_id": booking.branch_id,
                "start_at": booking.start_at.isoformat(),
                **p,
            }
        places = [(p["doctor_id"], p["branch_id"], p["start_at"])]
        if event.kind is EventKind.MOVED:
            places.append((p["old_doctor_id"], p["old_branch_id"], p["old_start_at"]))
        mapped_doctor = any(doctor in doctors for doctor, _, _ in places)
        concerned = await self._concerns(session, event.booking_id, mapped_doctor, report)
        ops: list[tuple[PartnerOpKind, str, dict[str, Any]]] = []
        subject = booking_subject(event.booking_id)
        kind = {
            EventKind.BOOKED: PartnerOpKind.BOOK,
            EventKind.RESTORED: PartnerOpKind.BOOK,
            EventKind.MOVED: PartnerOpKind.MOVE,
            EventKind.CANCELLED: PartnerOpKind.CANCEL,
        }.get(event.kind)
        if event.kind is EventKind.STATUS_CHANGED and p.get("status") == BookingStatus.COMPLETED:
            kind = PartnerOpKind.COMPLETE
        if kind is not None and ours and concerned and kind in self.client.operations:
            snapshot: dict[str, Any] = {
                k: p[k] for k in ("doctor_id", "start_at", "end_at", "reason") if k in p
            }
            ops.append((kind, subject, snapshot))
        if PartnerOpKind.PUBLISH_SLOTS in self.client.operations and event.kind is not (
            EventKind.STATUS_CHANGED
        ):
            today = self.clock.now().date()
            for doctor, branch, start in places:
                day = datetime.fromisoformat(start).astimezone(zones[branch]).date()
                if doctor in doctors and today <= day <= today + self.client.horizon:
                    ops.append((PartnerOpKind.PUBLISH_SLOTS, slots_subject(doctor, day), {}))
        return ops

    async def _concerns(
        self, session: AsyncSession, booking_id: int, mapped_doctor: bool, report: SyncReport
    ) -> bool:
        """Whether the booking is the partner's business (see `Scope`); a booking that should
        be but whose doctor is not mapped is counted as unmapped."""
        scope = self.client.scope
        if scope is Scope.DOCTOR:
            report.unmapped += not mapped_doctor
            return mapped_doctor
        booking = await session.get(Booking, booking_id)
        if booking is None:
            return False
        if scope is Scope.PATIENT:
            return booking.patient_id in self.maps[MappingKind.PATIENT]
        if booking.service_id not in self.maps[MappingKind.SERVICE]:
            return False  # the clinic's own patients' visits: none of the payer's business
        report.unmapped += not mapped_doctor
        return mapped_doctor


async def _queued(session: AsyncSession, partner: Channel, subject: str) -> bool:
    """Whether an operation of this subject waits untouched (it will read today's state)."""
    found = await session.execute(
        select(col(PartnerOperation.id)).where(
            col(PartnerOperation.partner) == partner,
            col(PartnerOperation.subject) == subject,
            col(PartnerOperation.status) == PartnerOpStatus.PENDING,
        )
    )
    return found.first() is not None


async def queue_publish(
    session: AsyncSession, partner: Channel, doctor_id: int, day: date, key: str, now: datetime
) -> bool:
    """Queue a day of a doctor's slots for publishing unless already queued."""
    subject = slots_subject(doctor_id, day)
    if await _queued(session, partner, subject):
        return False
    inserted = await session.execute(
        insert_or_skip(session, PartnerOperation, "partner", "key")
        .values(
            partner=partner,
            key=f"{key}:{subject}"[:100],
            kind=PartnerOpKind.PUBLISH_SLOTS,
            subject=subject,
            payload={},
            status=PartnerOpStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(col(PartnerOperation.id))
    )
    return inserted.first() is not None


@dataclass
class _Result:
    op: PartnerOperation
    kind: PartnerOpKind | None = None  # what was sent (a move may have become a booking)
    remote_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    transient: bool = False
    skip: str | None = None


@dataclass
class PartnerSync:
    """Plans and delivers every configured partner's operations."""

    db: Database
    clock: Clock
    clients: Mapping[Channel, PartnerClient]
    worker_id: str
    policy: SyncPolicy = field(default_factory=SyncPolicy)

    def __post_init__(self) -> None:
        self.worker_id = self.worker_id[:64]

    async def run_once(self) -> SyncReport:
        """Plan what the outbox holds, recover lost claims, deliver what is due."""
        report = SyncReport()
        for client in self.clients.values():
            await self.plan(client, report)
        await self.recover()
        for client in self.clients.values():
            while claimed := await self.claim(client.partner):
                if not await self.deliver(client, claimed, report):
                    break  # the partner took none of a whole batch: the rest waits a pass
        return report

    async def plan(self, client: PartnerClient, report: SyncReport) -> None:
        planner = _Planner(client, self.clock, self.policy)

        async def work(session: AsyncSession) -> bool:
            return await planner.plan(session, report)

        while await self.db.write(work):
            pass

    async def recover(self) -> int:
        """Claims whose lease ran out go back to pending (the worker was lost)."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            return await give_back(
                session,
                PartnerOperation,
                now,
                pending=PartnerOpStatus.PENDING,
                claimed=PartnerOpStatus.CLAIMED,
            )

        return await self.db.write(work)

    async def claim(self, partner: Channel) -> list[int]:
        """Due operations that are first in line for their subject."""
        now = self.clock.now()
        earlier = aliased(PartnerOperation)
        blocked = exists().where(
            col(earlier.partner) == col(PartnerOperation.partner),
            col(earlier.subject) == col(PartnerOperation.subject),
            col(earlier.id) < col(PartnerOperation.id),
            col(earlier.status).in_(OPEN),
        )
        due = (
            select(col(PartnerOperation.id))
            .where(
                col(PartnerOperation.partner) == partner,
                col(PartnerOperation.status) == PartnerOpStatus.PENDING,
                col(PartnerOperation.next_attempt_at) <= now,
                ~blocked,
            )
            # Visits before calendars: a full republication must not hold bookings back.
            .order_by(_CALENDAR_LAST, col(PartnerOperation.id))
        )
        lease = Lease(self.worker_id, self.policy.lease, self.policy.batch)

        async def work(session: AsyncSession) -> list[int]:
            return await claim(
                session,
                PartnerOperation,
                due,
                lease,
                now,
                pending=PartnerOpStatus.PENDING,
                claimed=PartnerOpStatus.CLAIMED,
            )

        return await self.db.write(work)

    async def deliver(
        self, client: PartnerClient, claimed: Sequence[int], report: SyncReport
    ) -> bool:
        """Prepare each operation, send the batch at once, record the results together;
        whether the partner answered any of them (an outage is one batch a pass, not a
        storm of calls that are bound to fail)."""
        async with self.db.read() as session:
            ops = list(
                (
                    await session.execute(
                        select(PartnerOperation)
                        .where(col(PartnerOperation.id).in_(claimed))
                        .order_by(col(PartnerOperation.id))
                    )
                ).scalars()
            )
            maps = await all_mappings(session, client.partner)
            prepared = [(op, await self._prepare(session, client, op, maps)) for op in ops]
        results = await asyncio.gather(*(self._send(client, op, out) for op, out in prepared))
        await self._record(client.partner, results, report)
        return not all(r.transient for r in results)

    async def _prepare(
        self, session: AsyncSession, client: PartnerClient, op: PartnerOperation, maps: Mappings
    ) -> Outbound | str:
        """The operation in the partner's ids, or why there is nothing to send."""
        partner = client.partner
        key = f"{partner}:{op.key}"
        if op.kind is PartnerOpKind.PUBLISH_SLOTS:
            return await self._publication(session, client, op, key, maps)
        remote: str | None = op.payload.get("remote_booking_id")  # a refused partner booking
        if op.booking_id is not None:
            remote = (
                await session.execute(
                    select(col(PartnerBooking.remote_id)).where(
                        col(PartnerBooking.partner) == partner,
                        col(PartnerBooking.booking_id) == op.booking_id,
                    )
                )
            ).scalar()
        if op.kind in (PartnerOpKind.CANCEL, PartnerOpKind.COMPLETE):
            if remote is None:
                return "not on the partner"
            reason = op.payload.get("reason", "")
            return Outbound(op.kind, key, remote_booking_id=remote, reason=reason)
        doctor = maps[MappingKind.DOCTOR].get(op.payload["doctor_id"])
        if doctor is None and client.scope is Scope.PATIENT:  # it knows our doctors by our ids
            doctor = str(op.payload["doctor_id"])
        if doctor is None:  # moved to a doctor the partner does not know: it leaves there
            if remote is None:
                return "doctor not mapped"
            return Outbound(
                PartnerOpKind.CANCEL, key, remote_booking_id=remote, reason="moved elsewhere"
            )
        visit = await self._visit(session, op, doctor, maps)
        if op.kind is PartnerOpKind.MOVE and remote is not None:
            return Outbound(PartnerOpKind.MOVE, key, remote_booking_id=remote, visit=visit)
        return Outbound(PartnerOpKind.BOOK, key, visit=visit)

    async def _visit(
        self, session: AsyncSession, op: PartnerOperation, doctor: str, maps: Mappings
    ) -> Visit:
        booking = await session.get_one(Booking, op.booking_id)
        patient = await session.get_one(Patient, booking.patient_id)
        contacts = {
            c.kind: c.value
            for c in (
                await session.execute(
                    select(Contact)
                    .where(col(Contact.patient_id) == patient.id)
                    .order_by(col(Contact.priority).desc())
                )
            ).scalars()
        }
        services, patients = maps[MappingKind.SERVICE], maps[MappingKind.PATIENT]
        who = await session.get_one(Doctor, booking.doctor_id)
        what = await session.get_one(Service, booking.service_id)
        return Visit(
            doctor=doctor,
            service=services.get(booking.service_id),
            doctor_name=who.display_name,
            service_name=what.name,
            start_at=datetime.fromisoformat(op.payload["start_at"]),
            end_at=datetime.fromisoformat(op.payload["end_at"]),
            patient=PartnerPatient(
                first_name=patient.first_name,
                last_name=patient.last_name,
                email=contacts.get(ContactKind.EMAIL),
                phone=contacts.get(ContactKind.PHONE),
                birth_date=patient.birth_date,
                pesel=patient.pesel,
                sex=patient.sex,
                remote_id=patients.get(booking.patient_id),
            ),
        )

    async def _publication(
        self,
        session: AsyncSession,
        client: PartnerClient,
        op: PartnerOperation,
        key: str,
        maps: Mappings,
    ) -> Outbound | str:
        _, doctor_id, day_text = op.subject.split(":")
        doctor_id_int, day = int(doctor_id), date.fromisoformat(day_text)
        doctor = maps[MappingKind.DOCTOR].get(doctor_id_int)
        if doctor is None:
            return "doctor not mapped"
        if not self.clock.now().date() <= day <= self.clock.now().date() + client.horizon:
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
        return Outbound(
            PartnerOpKind.PUBLISH_SLOTS,
            key,
            doctor=doctor,
            day=day,
            periods=await working_periods(session, client.partner, doctor_id_int, day),
            services=services,
        )

    async def _send(
        self, client: PartnerClient, op: PartnerOperation, out: Outbound | str
    ) -> _Result:
        if isinstance(out, str):
            return _Result(op, skip=out)
        try:
            remote = await client.deliver(out)
        except PartnerUnavailable as exc:
            return _Result(op, error=str(exc)[:500], transient=True, retry_after=exc.retry_after)
        except PartnerConflict as exc:
            transient = op.attempts < self.policy.conflict_attempts
            return _Result(op, error=str(exc)[:500], transient=transient)
        except PartnerRefused as exc:
            return _Result(op, error=str(exc)[:500])
        except Exception as exc:  # a bug in an adapter must not strand the row as claimed
            log.exception("partner operation %s: %s adapter failed", op.id, client.partner)
            return _Result(op, error=type(exc).__name__, transient=True)
        return _Result(op, kind=out.kind, remote_id=remote)

    async def _record(
        self, partner: Channel, results: Sequence[_Result], report: SyncReport
    ) -> None:
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            for r in results:
                assert r.op.id is not None
                mine = and_(
                    col(PartnerOperation.id) == r.op.id,
                    col(PartnerOperation.claimed_by) == self.worker_id,
                    col(PartnerOperation.status) == PartnerOpStatus.CLAIMED,
                )
                values: dict[str, Any] = {"lease_until": None, "error": r.error or r.skip}
                if r.skip is not None:
                    values |= {"status": PartnerOpStatus.SKIPPED, "done_at": now}
                elif r.error is None:
                    values |= {"status": PartnerOpStatus.DONE, "done_at": now}
                elif r.transient:
                    values |= {
                        "status": PartnerOpStatus.PENDING,
                        "claimed_by": None,
                        "next_attempt_at": self.policy.retry_at(now, r.op.attempts, r.retry_after),
                    }
                else:
                    values |= {"status": PartnerOpStatus.FAILED}
                changed = await session.execute(
                    update(PartnerOperation)
                    .where(mine)
                    .values(**values)
                    .returning(col(PartnerOperation.id))
                )
                if changed.first() is None:
                    report.lost_claims += 1
                    continue
                if r.skip is not None:
                    report.skipped += 1
                elif r.error is None:
                    report.delivered += 1
                    await _link(session, partner, r)
                elif r.transient:
                    report.retried += 1
                else:
                    report.failed += 1
                    log.warning("partner %s refused operation %s: %s", partner, r.op.id, r.error)

        await self.db.write(work)

    async def publish_all(self, partner: Channel) -> int:
        """Queue every mapped doctor's days within the horizon: slots are authored here, so
        whatever the partner's calendar shows is overwritten. How many days were queued."""
        client = self.clients[partner]
        now = self.clock.now()
        today = now.date()
        days = [today + timedelta(days=n) for n in range(client.horizon.days + 1)]

        async def work(session: AsyncSession) -> int:
            doctors = await remote_ids(session, partner, MappingKind.DOCTOR)
            stamp = now.isoformat()
            queued = 0
            for doctor in sorted(doctors):
                for day in days:
                    queued += await queue_publish(
                        session, partner, doctor, day, f"full:{stamp}", now
                    )
            return queued

        return await self.db.write(work)


async def _link(session: AsyncSession, partner: Channel, result: _Result) -> None:
    """Keep our booking's partner id: set by a booking, replaced by a move, gone with a cancel."""
    booking_id = result.op.booking_id
    if booking_id is None or result.kind not in _LINKING:
        return
    await session.execute(
        delete(PartnerBooking).where(
            col(PartnerBooking.partner) == partner, col(PartnerBooking.booking_id) == booking_id
        )
    )
    if result.remote_id is not None and result.kind is not PartnerOpKind.CANCEL:
        session.add(
            PartnerBooking(partner=partner, booking_id=booking_id, remote_id=result.remote_id)
        )


async def working_periods(
    session: AsyncSession, partner: Channel, doctor_id: int, day: date
) -> list[tuple[datetime, datetime]]:
    """A doctor's working time on one local day as the partner should see it: the slots
    open to that partner, free or booked, and the time of every active booking (which the
    partner holds as bookings pushed to it). Booking here never shrinks these periods."""
    bit = int(Availability.for_channel(partner))
    around = datetime.combine(day, time(), tzinfo=UTC)
    window = (around - timedelta(days=1), around + timedelta(days=2))
    zones = {b.id: ZoneInfo(b.timezone) for b in (await session.execute(select(Branch))).scalars()}
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
    return merge_periods(
        [
            (start, end)
            for start, end, branch in [*slots.all(), *visits.all()]
            if start.astimezone(zones[branch]).date() == day
        ]
    )


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
