"""Delivering notifications once, from any number of workers.

A notification moves pending → claimed → sending → sent (or failed, skipped,
in doubt), each step one conditional UPDATE that only its claimant can make:

- *claim*: a batch of due rows becomes `claimed` by this worker until its lease
  ends. On PostgreSQL the batch is picked with `FOR UPDATE SKIP LOCKED`, so
  workers never wait for each other and never take the same row; on SQLite
  writes are serialized anyway.
- *check*: what the notification speaks of must still be true (the visit not
  cancelled nor moved, the offer open, the visit not past); otherwise `skipped`.
  What it says and where it goes are read then too (`core.messaging.compose`).
- *sending*: committed for the batch just before its provider calls.
- *sent*: committed when a provider took it, with the booking's communication
  status in the same transaction (one transaction for the batch's results).

The window between a provider taking a message and our commit cannot be
closed: neither Telegram nor Twilio lets a client make a send idempotent. A
worker that dies inside it leaves `sending` rows (at most a batch per lane);
when the lease runs out, a live worker marks them `in_doubt`, and the dispatcher
never sends them again itself: `core.messaging.doubt` settles them, asking the
provider where it can tell (Twilio), resending a reminder Telegram cannot vouch for
only when its visit is far enough ahead. A worker that dies before `sending` leaves
`claimed` rows, which go back to `pending` after the lease: they were never
handed to anyone. A worker stopped by SIGTERM finishes its pass first, so a
restart leaves nothing in doubt.

Channels: the patient's own messenger first (the one the visit was booked
through, then any linked one), then SMS. A channel that refuses for good
(blocked bot, no such number) is skipped for the next one; when every channel
failed and one of them only for now (timeout, 5xx, 429), the notification is
retried later with exponential back-off and jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.changes import record_communication
from core.cause import caused_by
from core.clock import Clock
from core.db.database import Database
from core.leases import Lease, claim, give_back
from core.messaging import consent
from core.messaging.compose import House, addresses, compose, get_or_none, stale
from core.messaging.link_tokens import LinkSigner
from core.messaging.port import REMINDER, Outgoing, Sender, TryLater, Undeliverable
from core.models import Booking, Notification, ReminderRule
from core.vocab import Channel, CommunicationStatus, NotificationStatus

log = logging.getLogger(__name__)
_TABLE: Table = Notification.__table__  # type: ignore[attr-defined]
_HELD = (NotificationStatus.SENDING, NotificationStatus.IN_DOUBT)  # may still be recorded


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=60)
    batch: int = 32  # claimed, checked, marked and sent together
    lanes: int = 2  # batches in flight at once: one sends while another is claimed or recorded
    max_attempts: int = 5
    first_retry: timedelta = timedelta(seconds=30)
    last_retry: timedelta = timedelta(hours=1)

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        """Exponential back-off with full jitter, so failed sends do not return in step."""
        ceiling = min(self.last_retry, self.first_retry * 2 ** (attempts - 1))
        jitter: timedelta = ceiling * random.random()  # noqa: S311 (not for secrets)
        return now + self.first_retry / 2 + jitter


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    lost_claims: int = 0  # a lease ran out under us; the row went on without us


@dataclass
class _Plan:
    """One claimed notification: what to say and where, or why not."""

    row: Notification
    message: Outgoing | None = None
    addresses: Sequence[tuple[Channel, str]] = ()
    skip: str | None = None  # why it no longer makes sense
    fail: str | None = None  # why it cannot be sent at all


@dataclass
class _Outcome:
    plan: _Plan
    channel: Channel | None = None
    address: str = ""
    provider_id: str = ""
    error: str = ""
    transient: bool = False


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        senders: Mapping[Channel, Sender],
        worker_id: str,
        policy: DeliveryPolicy | None = None,
        links: LinkSigner | None = None,
    ) -> None:
        self.db = db
        self.links = links
        self.clock = clock
        self.senders = senders
        self.worker_id = worker_id[:64]
        self.policy = policy or DeliveryPolicy()

    async def run_once(self) -> DispatchReport:
        """Recover expired leases, then claim and deliver batches until nothing is due."""
        report = DispatchReport()
        if not self.senders:  # nothing configured to send with (the demo): leave them pending
            return report
        await self.recover()

        async def lane() -> None:
            while claimed := await self.claim():
                await self.deliver(claimed, report)

        await asyncio.gather(*(lane() for _ in range(self.policy.lanes)))
        return report

    async def recover(self) -> None:
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            await give_back(
                session,
                Notification,
                now,
                pending=NotificationStatus.PENDING,
                claimed=NotificationStatus.CLAIMED,
            )
            await session.execute(
                update(Notification)
                .where(
                    col(Notification.status) == NotificationStatus.SENDING,
                    col(Notification.lease_until) < now,
                )
                .values(
                    status=NotificationStatus.IN_DOUBT,
                    error="the worker stopped while handing it to the provider",
                )
            )

        await self.db.write(work)

    async def claim(self) -> list[int]:
        now = self.clock.now()
        lease = Lease(self.worker_id, self.policy.lease, self.policy.batch)
        due = (
            select(col(Notification.id))
            .where(
                col(Notification.status) == NotificationStatus.PENDING,
                col(Notification.due_at) <= now,
            )
            .order_by(col(Notification.due_at))
        )

        async def work(session: AsyncSession) -> list[int]:
            return await claim(
                session,
                Notification,
                due,
                lease,
                now,
                pending=NotificationStatus.PENDING,
                claimed=NotificationStatus.CLAIMED,
            )

        return await self.db.write(work)

    async def deliver(self, claimed: Sequence[int], report: DispatchReport) -> None:
        """Check, mark `sending`, send (all at once), record: four transactions a batch."""
        plans = await self._plan(claimed)
        ready = [p for p in plans if p.skip is None and p.fail is None]
        await self._close(plans, ready, report)
        sending = await self._mark_sending([p.row.id for p in ready if p.row.id is not None])
        report.lost_claims += len(ready) - len(sending)
        outcomes = await asyncio.gather(*(self._send(p) for p in ready if p.row.id in sending))
        await self._record(outcomes, report)

    async def _plan(self, claimed: Sequence[int]) -> list[_Plan]:
        now = self.clock.now()
        plans = []
        async with self.db.read() as session:
            house = await House.load(session, self.links)
            rows = await session.execute(
                select(Notification).where(col(Notification.id).in_(claimed))
            )
            for row in rows.scalars():
                plan = _Plan(row, skip=await stale(session, row, now))
                if plan.skip is None:
                    plan.message = await compose(session, row, house)
                    found = await addresses(session, row)
                    plan.addresses = await consent.allowed(session, row.topic, row.params, found)
                    if found and not plan.addresses:
                        plan.skip = "the patient said STOP"
                    elif plan.message is None:
                        plan.fail = "nothing left to say"
                    elif not plan.addresses:
                        plan.fail = "no way to reach the patient"
                plans.append(plan)
        return plans

    def _mine(self, ids: Sequence[int], *statuses: NotificationStatus) -> ColumnElement[bool]:
        """These rows, while this worker holds them in one of `statuses`."""
        return and_(
            col(Notification.id).in_(ids),
            col(Notification.claimed_by) == self.worker_id,
            col(Notification.status).in_(statuses),
        )

    async def _close(self, plans: list[_Plan], ready: list[_Plan], report: DispatchReport) -> None:
        """Settle the ones that will not be sent: skipped or failed, each with its reason."""
        done = [p for p in plans if p not in ready]
        if not done:
            return

        async def work(session: AsyncSession) -> None:
            for plan in done:
                assert plan.row.id is not None
                status = NotificationStatus.SKIPPED if plan.skip else NotificationStatus.FAILED
                changed = await session.execute(
                    update(Notification)
                    .where(self._mine([plan.row.id], NotificationStatus.CLAIMED))
                    .values(status=status, error=plan.skip or plan.fail, lease_until=None)
                    .returning(col(Notification.id))
                )
                if changed.first() is not None:
                    report.skipped += status is NotificationStatus.SKIPPED
                    report.failed += status is NotificationStatus.FAILED

        await self.db.write(work)

    async def _mark_sending(self, ids: list[int]) -> set[int]:
        """The point of no return: from here a lost worker leaves these in doubt. (Marking
        each one just before its call instead halved the throughput and left as many in
        doubt: a batch's calls are all under way at once.)"""
        if not ids:
            return set()

        async def work(session: AsyncSession) -> set[int]:
            changed = await session.execute(
                update(Notification)
                .where(self._mine(ids, NotificationStatus.CLAIMED))
                .values(status=NotificationStatus.SENDING)
                .returning(col(Notification.id))
                .execution_options(synchronize_session=False)
            )
            return {row[0] for row in changed if row[0] is not None}

        return await self.db.write(work)

    async def _send(self, plan: _Plan) -> _Outcome:
        """Each channel in turn until one takes it."""
        assert plan.message is not None
        failures: list[str] = []
        transient = False
        with caused_by(plan.row.cause):  # the request that queued it, in the logs
            for channel, address in plan.addresses:
                sender = self.senders.get(channel)
                if sender is None:
                    failures.append(f"{channel}: not configured")
                    continue
                try:
                    provider_id = await sender.send(address, plan.message)
                except TryLater as exc:
                    failures.append(f"{channel}: {exc}"[:100])
                    transient = True
                except Undeliverable as exc:
                    failures.append(f"{channel}: {exc}"[:100])
                except Exception as exc:  # a bug in a sender must not strand the row in `sending`
                    log.exception("notification %s: %s sender failed", plan.row.id, channel)
                    failures.append(f"{channel}: {type(exc).__name__}")
                    transient = True
                else:
                    return _Outcome(plan, channel, address, provider_id)
        return _Outcome(plan, error="; ".join(failures)[:300], transient=transient)

    async def _record(self, outcomes: Sequence[_Outcome], report: DispatchReport) -> None:
        """The batch's results in one transaction, with the bookings' communication status.
        A row whose lease ran out meanwhile (`in_doubt`) is corrected to `sent` too."""
        if not outcomes:
            return
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            sent = [o for o in outcomes if o.channel is not None]
            if sent:
                await session.execute(
                    update(_TABLE)
                    .where(
                        _TABLE.c.id == bindparam("nid"),
                        _TABLE.c.claimed_by == self.worker_id,
                        or_(*(_TABLE.c.status == held for held in _HELD)),  # no IN: executemany
                    )
                    .values(
                        status=NotificationStatus.SENT,
                        channel=bindparam("via"),
                        sent_to=bindparam("to"),
                        provider_id=bindparam("pid"),
                        sent_at=now,
                        error=None,
                        lease_until=None,
                    ),
                    [
                        {
                            "nid": o.plan.row.id,
                            "via": o.channel,
                            "to": o.address[:64],
                            "pid": o.provider_id[:64],
                        }
                        for o in sent
                    ],
                )
                report.sent += len(sent)
                for outcome in sent:
                    status = await _rule_status(session, outcome.plan.row)
                    if status is not None:
                        await _set_comm_status(session, outcome.plan.row.booking_id, status, now)
            for outcome in outcomes:
                if outcome.channel is None:
                    await self._unsent(session, outcome, now, report)

        await self.db.write(work)

    async def _unsent(
        self, session: AsyncSession, outcome: _Outcome, now: datetime, report: DispatchReport
    ) -> None:
        """Every channel refused: later again if one refused only for now, else failed."""
        row = outcome.plan.row
        assert row.id is not None
        log.warning(
            "notification %s not delivered (attempt %d): %s", row.id, row.attempts, outcome.error
        )
        if outcome.transient and row.attempts < self.policy.max_attempts:
            values: dict[str, object] = {
                "status": NotificationStatus.PENDING,
                "due_at": self.policy.retry_at(now, row.attempts),
                "claimed_by": None,
            }
            report.retried += 1
        else:
            values = {"status": NotificationStatus.FAILED}
            report.failed += 1
            if row.topic == REMINDER:
                await _set_comm_status(
                    session, row.booking_id, CommunicationStatus.DELIVERY_FAILED, now
                )
        await session.execute(
            update(Notification)
            .where(self._mine([row.id], *_HELD))
            .values(error=outcome.error, lease_until=None, **values)
        )


async def _rule_status(session: AsyncSession, row: Notification) -> CommunicationStatus | None:
    rule = await get_or_none(session, ReminderRule, row.rule_id)
    return rule.sets_status if rule is not None else None


async def _set_comm_status(
    session: AsyncSession, booking_id: int | None, status: CommunicationStatus, now: datetime
) -> None:
    booking = await get_or_none(session, Booking, booking_id)
    if booking is None or booking.communication_status is CommunicationStatus.CONFIRMED_BY_PATIENT:
        return  # what the patient said outranks what we sent them
    record_communication(session, booking, status, Actor.system(), now)
