"""Delivering notifications once, from any number of workers.

A notification moves pending → claimed → sending → sent (or failed, skipped,
in doubt), each step one conditional UPDATE that only its claimant can make:

- *claim*: a batch of due rows becomes `claimed` by this worker until its lease
  ends. On PostgreSQL the batch is picked with `FOR UPDATE SKIP LOCKED`, so
  workers never wait for each other and never take the same row; on SQLite
  writes are serialized anyway.
- *check*: what the notification speaks of must still be true (the visit not
  cancelled nor moved, the offer open, the visit not past); otherwise `skipped`.
- *sending*: committed for the batch just before its provider calls.
- *sent*: committed when a provider took it, with the booking's communication
  status in the same transaction (one transaction for the batch's results).

The window between a provider taking a message and our commit cannot be
closed: neither Telegram nor Twilio lets a client make a send idempotent. A
worker that dies inside it leaves `sending` rows (at most a batch per lane);
when the lease runs out, a live worker marks them `in_doubt` and never sends
them again. A duplicate reminder is the worse failure for a patient (two
messages, which to trust) and for the clinic's SMS bill; staff see `in_doubt`
rows in the delivery report. A worker that dies before `sending` leaves
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.changes import record_communication
from core.clock import Clock
from core.db.database import Database
from core.leases import Lease, claim, give_back
from core.messaging.reminders import REMINDER, STAFF_REPLY, WAITLIST_OFFER
from core.messaging.templates import date_and_time, render
from core.models import (
    Booking,
    Branch,
    Clinic,
    Contact,
    Doctor,
    EscalationMessage,
    Notification,
    Patient,
    ReminderRule,
    Service,
    Specialty,
    WaitlistOffer,
)
from core.vocab import (
    CHAT_CONTACTS,
    Channel,
    CommunicationStatus,
    ContactKind,
    NotificationStatus,
    OfferStatus,
)

log = logging.getLogger(__name__)
M = TypeVar("M")
_TABLE: Table = Notification.__table__  # type: ignore[attr-defined]
_HELD = (NotificationStatus.SENDING, NotificationStatus.IN_DOUBT)  # may still be recorded

MESSENGERS = (Channel.TELEGRAM, Channel.WHATSAPP)
_CONTACT_KINDS = {**{m: CHAT_CONTACTS[m] for m in MESSENGERS}, Channel.SMS: ContactKind.PHONE}


@dataclass(frozen=True)
class Outgoing:
    """A message as the engine means it; each channel words and shapes it (buttons, numbers,
    keywords). `text` is final for reminders and staff replies; an offer is worded by the
    channel from `params`. `actions`: the visit (or offer) the patient can act on."""

    topic: str
    language: str
    text: str
    params: Mapping[str, str] = field(default_factory=dict)
    booking_id: int | None = None
    offer_id: int | None = None
    actions: bool = False


class Undeliverable(Exception):
    """This channel will not take it (blocked, unknown address, not configured): next one."""


class TryLater(Exception):
    """This channel cannot take it now (timeout, 5xx, 429): next one, and retry later."""


class Sender(Protocol):
    async def send(self, address: str, message: Outgoing) -> str:
        """Hand `message` to the platform; its message id. Raises `Undeliverable`/`TryLater`."""
        ...


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
    ) -> None:
        self.db = db
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
            house = await _House.load(session)
            rows = await session.execute(
                select(Notification).where(col(Notification.id).in_(claimed))
            )
            for row in rows.scalars():
                plan = _Plan(row, skip=await _stale(session, row, now))
                if plan.skip is None:
                    plan.message = await _compose(session, row, house)
                    plan.addresses = await _addresses(session, row)
                    if plan.message is None:
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
                return _Outcome(plan, channel, provider_id)
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
                        provider_id=bindparam("pid"),
                        sent_at=now,
                        error=None,
                        lease_until=None,
                    ),
                    [
                        {"nid": o.plan.row.id, "via": o.channel, "pid": o.provider_id[:64]}
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
    rule = await _get(session, ReminderRule, row.rule_id)
    return rule.sets_status if rule is not None else None


async def _set_comm_status(
    session: AsyncSession, booking_id: int | None, status: CommunicationStatus, now: datetime
) -> None:
    booking = await _get(session, Booking, booking_id)
    if booking is None or booking.communication_status is CommunicationStatus.CONFIRMED_BY_PATIENT:
        return  # what the patient said outranks what we sent them
    record_communication(session, booking, status, Actor.system(), now)


async def _stale(session: AsyncSession, notification: Notification, now: datetime) -> str | None:
    """Why the notification no longer makes sense, or None."""
    if notification.expires_at is not None and notification.expires_at <= now:
        return "expired"
    if notification.topic == WAITLIST_OFFER:
        offer = await session.get(WaitlistOffer, notification.subject_id)
        if offer is None or offer.status is not OfferStatus.OPEN or offer.expires_at <= now:
            return "offer no longer open"
        return None
    if notification.booking_id is None or notification.visit_start is None:
        return None
    booking = await session.get(Booking, notification.booking_id)
    if booking is None or not booking.status.active:
        return "visit cancelled"
    if booking.start_at != notification.visit_start:
        return "visit moved"
    if booking.start_at <= now:
        return "visit already began"
    return None


@dataclass(frozen=True)
class _House:
    """What every message of a batch shares: the clinic's name, its first branch."""

    clinic: str
    branch: Branch | None

    @classmethod
    async def load(cls, session: AsyncSession) -> _House:
        clinic = (await session.execute(select(col(Clinic.name)).limit(1))).scalar() or ""
        branch = (await session.execute(select(Branch).order_by(col(Branch.id)).limit(1))).scalar()
        return cls(clinic, branch)


async def _compose(
    session: AsyncSession, notification: Notification, house: _House
) -> Outgoing | None:
    patient = await _get(session, Patient, notification.patient_id)
    language = patient.language if patient is not None else "pl"
    if notification.topic == STAFF_REPLY:
        message = await session.get(EscalationMessage, notification.subject_id)
        return None if message is None else Outgoing(STAFF_REPLY, language, message.text)
    first_name = patient.first_name if patient else ""
    params: dict[str, str] = {"clinic": house.clinic, "first_name": first_name}
    if notification.topic == WAITLIST_OFFER:
        offer = await session.get(WaitlistOffer, notification.subject_id)
        if offer is None:
            return None
        params |= await _place(session, offer.branch_id, offer.start_at, language)
        return Outgoing(WAITLIST_OFFER, language, "", params, offer_id=offer.id, actions=True)
    rule = await session.get(ReminderRule, notification.rule_id)
    if rule is None:
        return None
    booking = await _get(session, Booking, notification.booking_id)
    if booking is not None:
        params |= await _place(session, booking.branch_id, booking.start_at, language)
        params |= await _visit(session, booking)
    elif (branch := house.branch) is not None:
        params |= {"branch": branch.name, "address": _address(branch), "phone": branch.phone or ""}
    return Outgoing(
        REMINDER,
        language,
        render(rule.templates, language, params),
        params,
        booking_id=booking.id if booking is not None else None,
        actions=rule.with_actions and booking is not None,
    )


async def _get(session: AsyncSession, model: type[M], key: int | None) -> M | None:
    return None if key is None else await session.get(model, key)


def _address(branch: Branch) -> str:
    return f"{branch.address}, {branch.city}"


async def _place(
    session: AsyncSession, branch_id: int, start_at: datetime, language: str
) -> dict[str, str]:
    branch = await session.get(Branch, branch_id)
    assert branch is not None
    return {
        "branch": branch.name,
        "address": _address(branch),
        "phone": branch.phone or "",
        **date_and_time(start_at, branch.timezone, language),
    }


async def _visit(session: AsyncSession, booking: Booking) -> dict[str, str]:
    doctor = await session.get(Doctor, booking.doctor_id)
    service = await session.get(Service, booking.service_id)
    specialty = (
        await session.get(Specialty, service.specialty_id)
        if service is not None and service.specialty_id is not None
        else None
    )
    return {
        "doctor": f"{doctor.first_name} {doctor.last_name}" if doctor else "",
        "service": service.name if service else "",
        "specialty": specialty.name if specialty else "",
    }


async def _addresses(
    session: AsyncSession, notification: Notification
) -> Sequence[tuple[Channel, str]]:
    """Where to try, in order: the chat it answers, else the patient's messengers (the one
    the visit came through first), then SMS to their phone."""
    if notification.to_channel is not None and notification.to_address is not None:
        return [(notification.to_channel, notification.to_address)]
    if notification.patient_id is None:
        return []
    contacts = list(
        (
            await session.execute(
                select(Contact)
                .where(col(Contact.patient_id) == notification.patient_id)
                .order_by(col(Contact.priority), col(Contact.id))
            )
        ).scalars()
    )
    source = None
    if notification.booking_id is not None:
        booking = await session.get(Booking, notification.booking_id)
        source = booking.source if booking is not None else None
    order = [*sorted(MESSENGERS, key=lambda channel: channel != source), Channel.SMS]
    found: list[tuple[Channel, str]] = []
    for channel in order:
        kind = _CONTACT_KINDS[channel]
        found.extend((channel, c.value) for c in contacts if c.kind is kind)
    return found
