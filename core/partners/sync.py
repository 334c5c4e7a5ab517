"""Outbound sync: the operations owed to each partner (planned from the outbox by
`core.partners.plan`) delivered in order per subject, once, from any number of workers.

*Delivery* follows core/messaging/notifications.py: a batch of due operations is claimed
with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), only the first open
operation of each subject (so a cancel never overtakes its booking, and a
failed one holds back the rest until staff retry or discard it); a lost
worker's claims return after the lease. Each operation is prepared in the
partner's ids (`core.partners.outbound`) and the batch is sent at once.
Timeouts, 5xx and 429 come back at `next_attempt_at`, with exponential
back-off and full jitter, never sooner than the partner's Retry-After; a
refusal (4xx) stops as `failed` with the partner's words, for staff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.cause import caused_by
from core.clock import Clock
from core.db.database import Database
from core.leases import Lease, claim, give_back
from core.models import PartnerBooking, PartnerOperation
from core.partners.mappings import all_mappings, remote_ids
from core.partners.outbound import prepare
from core.partners.plan import Planner, PlanReport
from core.partners.port import (
    Outbound,
    PartnerClient,
    PartnerConflict,
    PartnerRefused,
    PartnerUnavailable,
)
from core.partners.queue import OPEN, queue_publish
from core.vocab import Channel, MappingKind, PartnerOpKind, PartnerOpStatus

log = logging.getLogger(__name__)

_LINKING = (PartnerOpKind.BOOK, PartnerOpKind.MOVE, PartnerOpKind.CANCEL)


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
class SyncReport(PlanReport):
    """What a pass did: planned and unmapped (`PlanReport`), then what became of deliveries."""

    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    lost_claims: int = 0


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
        planner = Planner(client, self.clock, self.policy.plan_batch)

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
                        .order_by(_CALENDAR_LAST, col(PartnerOperation.id))
                    )
                ).scalars()
            )
            maps = await all_mappings(session, client.partner)
            prepared = [(op, await prepare(session, client, op, maps, self.clock)) for op in ops]
        # Visits first: they take the write budget before any calendar of the batch does.
        visits = [(op, out) for op, out in prepared if op.kind is not PartnerOpKind.PUBLISH_SLOTS]
        calendars = [(op, out) for op, out in prepared if op.kind is PartnerOpKind.PUBLISH_SLOTS]
        results = [
            *await asyncio.gather(*(self._send(client, op, out) for op, out in visits)),
            *await asyncio.gather(*(self._send(client, op, out) for op, out in calendars)),
        ]
        await self._record(client.partner, results, report)
        return not all(r.transient for r in results)

    async def _send(
        self, client: PartnerClient, op: PartnerOperation, out: Outbound | str
    ) -> _Result:
        if isinstance(out, str):
            return _Result(op, skip=out)
        with caused_by(op.cause):
            try:
                remote = await client.deliver(out)
            except PartnerUnavailable as exc:
                return _Result(
                    op, error=str(exc)[:500], transient=True, retry_after=exc.retry_after
                )
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
        days = [today + timedelta(days=n) for n in range(client.horizon.days)]

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
