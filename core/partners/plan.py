"""Planning the outbound sync: the outbox's domain events become operations owed to one
partner (`partner_operation`), which `PartnerSync` then delivers.

The planner reads the outbox past the partner's cursor, under a lock on the
cursor row, and inserts operations keyed `event:what` (a unique constraint:
planning an event twice inserts nothing). A booking's operations share the
subject `booking:N`; a day of a doctor's published slots is `slots:D:YYYY-MM-DD`,
and a day already waiting to be published is not queued twice (the slots are
read when the operation is delivered, so the later change is in it).
Changes that came from the partner itself are not sent back to it. A mapping
staff add (`partner.mapped`) queues what it opens: the doctor's calendar within
the horizon, and the future visits it makes the partner's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cause import caused_by
from core.clock import Clock
from core.db.database import insert_or_skip
from core.models import (
    Booking,
    Branch,
    DoctorService,
    OutboxEvent,
    PartnerCursor,
)
from core.partners.mappings import Mappings, all_mappings
from core.partners.port import PartnerClient, Scope
from core.partners.queue import (
    add_operation,
    booking_subject,
    queue_publish,
    queued,
    send_visit,
    slots_subject,
)
from core.vocab import (
    BookingStatus,
    EventKind,
    MappingKind,
    PartnerOpKind,
)

_BOOKING_EVENTS = (
    EventKind.BOOKED,
    EventKind.MOVED,
    EventKind.CANCELLED,
    EventKind.RESTORED,
    EventKind.STATUS_CHANGED,
)
_PLANNED_EVENTS = (*_BOOKING_EVENTS, EventKind.PARTNER_MAPPED)
DAY_FIRST = timedelta(seconds=1)  # a newly mapped calendar's visits wait for its days


@dataclass
class PlanReport:
    """What a planning pass did; the first counts of `SyncReport`."""

    planned: int = 0
    unmapped: int = 0  # changes of doctors the partner does not know: not sent, counted


class Planner:
    """Turns one partner's share of the outbox into operations (one transaction a batch)."""

    def __init__(self, client: PartnerClient, clock: Clock, batch: int) -> None:
        self.client = client
        self.partner = client.partner
        self.clock = clock
        self.batch = batch  # events read a transaction
        self.maps: Mappings = {}

    async def plan(self, session: AsyncSession, report: PlanReport) -> bool:
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
                        col(OutboxEvent.kind).in_(_PLANNED_EVENTS),
                    )
                    .order_by(col(OutboxEvent.id))
                    .limit(self.batch)
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
            with caused_by(event.cause):  # its operations keep the request that made it
                await self._plan_event(session, event, doctors, zones, now, report)
        cursor.last_event_id = events[-1].id or cursor.last_event_id
        return len(events) == self.batch

    async def _plan_event(
        self,
        session: AsyncSession,
        event: OutboxEvent,
        doctors: Mapping[int, str],
        zones: Mapping[int | None, ZoneInfo],
        now: datetime,
        report: PlanReport,
    ) -> None:
        assert event.id is not None
        if event.kind is EventKind.PARTNER_MAPPED:
            await self._mapped(session, event, report)
            return
        rows = await self._operations(session, event, doctors, zones, report)
        for kind, subject, extra in rows:
            if kind is PartnerOpKind.PUBLISH_SLOTS and await queued(session, self.partner, subject):
                continue
            report.planned += await add_operation(
                session,
                self.partner,
                f"{event.id}:{kind}:{subject}",
                kind,
                subject,
                extra,
                now,
                booking_id=event.booking_id,
            )

    async def _operations(
        self,
        session: AsyncSession,
        event: OutboxEvent,
        doctors: Mapping[int, str],
        zones: Mapping[int | None, ZoneInfo],
        report: PlanReport,
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
                if doctor in doctors and today <= day < today + self.client.horizon:
                    ops.append((PartnerOpKind.PUBLISH_SLOTS, slots_subject(doctor, day), {}))
        return ops

    async def _mapped(self, session: AsyncSession, event: OutboxEvent, report: PlanReport) -> None:
        """Staff mapped a doctor, a service or a patient: the calendars it opens are
        published now (not at the next full reconciliation), and the future visits it
        makes the partner's business are sent, those booked before the mapping included."""
        p = event.payload
        if p.get("partner") != self.partner:
            return
        kind, local = MappingKind(p["mapping"]), int(p["local_id"])
        doctors = self.maps[MappingKind.DOCTOR]
        now = self.clock.now()
        later = exists().where(  # its own events plan it: not sent twice
            col(OutboxEvent.booking_id) == col(Booking.id),
            col(OutboxEvent.id) > event.id,
            col(OutboxEvent.kind).in_(_BOOKING_EVENTS),
        )
        visits = select(Booking).where(
            col(Booking.start_at) > now,
            col(Booking.status).in_([s for s in BookingStatus if s.active]),
            ~later,
        )
        calendars: set[int] = set()
        if kind is MappingKind.DOCTOR:
            calendars = {local} & doctors.keys()
            visits = visits.where(col(Booking.doctor_id) == local)
        elif kind is MappingKind.SERVICE:
            performing = await session.execute(
                select(col(DoctorService.doctor_id)).where(col(DoctorService.service_id) == local)
            )
            calendars = set(performing.scalars()) & doctors.keys()
            visits = visits.where(col(Booking.service_id) == local)
        elif kind is MappingKind.PATIENT:
            visits = visits.where(col(Booking.patient_id) == local)
        else:
            return
        if PartnerOpKind.PUBLISH_SLOTS in self.client.operations:
            today = now.date()
            for doctor in sorted(calendars):
                for n in range(self.client.horizon.days):
                    day = today + timedelta(days=n)
                    report.planned += await queue_publish(
                        session, self.partner, doctor, day, f"{event.id}:mapped", now
                    )
        if PartnerOpKind.BOOK not in self.client.operations:
            return
        for booking in (await session.execute(visits.order_by(col(Booking.start_at)))).scalars():
            assert booking.id is not None
            concerned = await self._concerns(
                session, booking.id, booking.doctor_id in doctors, report
            )
            if concerned:
                # Its day goes first: a visit is booked there into published time.
                due = now + DAY_FIRST if booking.doctor_id in calendars else now
                report.planned += await send_visit(session, self.partner, event, booking, due)

    async def _concerns(
        self, session: AsyncSession, booking_id: int, mapped_doctor: bool, report: PlanReport
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
