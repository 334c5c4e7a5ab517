"""Inbound sync: what a partner tells us is stored first, then applied once.

`receive` inserts each notice under its key (a unique constraint): a push
redelivered, or pulled after it was pushed, inserts nothing, so the face can
acknowledge at once. `apply_pending` takes stored notices in arrival order
(`FOR UPDATE SKIP LOCKED` on PostgreSQL), applies each to the bookings
(`core.partners.apply`) and marks it with what came of it.

A partner booking for a time taken here is refused: the partner is asked to
cancel it with the reason (an operation like any other, retried, shown to
staff if it fails) and a `partner.conflict` event tells the desk.
`decide` answers a blocking request (`slot-booking`): it books here at once
so the answer is true when given. Before a notice is applied, its partner's
adapter puts it in the ids the mappings know (`PartnerClient.resolve`); while
the partner cannot be asked, the notice waits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.booking.service import BookingService
from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.journal import emit
from core.models import PartnerNotification
from core.partners.apply import Later, NoticeApplier, Refused
from core.partners.port import (
    Notice,
    NoticeKind,
    PartnerClient,
    PartnerRefused,
    PartnerUnavailable,
)
from core.partners.queue import add_operation
from core.vocab import Channel, EventKind, PartnerOpKind

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


class PartnerInbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        booking: BookingService,
        partners: Mapping[Channel, PartnerClient] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.applier = NoticeApplier(db, clock, booking)
        self.partners = partners or {}

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
            notice = await self._resolved(partner, notice)
            outcome = await self.applier.apply(row.id, partner, notice, row.received_at)
        except (Later, PartnerUnavailable):
            report.waiting += 1
            return "waiting"
        except Refused as exc:
            outcome = f"refused: {exc.code}"
            # A request answered already, or one whose booking has no id there yet (its
            # own notice, refused in turn, cancels it there), is not cancelled now.
            there = not blocking and not notice.extra.get("provisional")
            await self._refuse(row, partner, notice, exc.code, cancel_there=there)
            report.refused += 1
            return outcome
        if outcome == "applied":
            report.applied += 1
        else:
            report.duplicates += 1
        await self._mark(row.id, outcome)
        return outcome

    async def _resolved(self, partner: Channel, notice: Notice) -> Notice:
        """The notice in mapped ids; as it came if the partner refuses to say."""
        client = self.partners.get(partner)
        if client is None:
            return notice
        try:
            return await client.resolve(notice)
        except PartnerRefused as exc:
            log.warning("%s could not resolve notice %s: %s", partner, notice.name, exc)
            return notice

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
            await add_operation(
                session,
                partner,
                f"refuse:{notice.remote_booking_id}",
                PartnerOpKind.CANCEL,
                f"remote:{notice.remote_booking_id}",
                {
                    "remote_booking_id": notice.remote_booking_id,
                    "reason": REFUSAL_REASONS.get(code, REFUSAL_REASONS["default"]),
                },
                now,
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
    "already_booked": "The patient already has a visit of this service at the clinic.",
    "e_referral_invalid": "The e-referral's number is not valid.",
    "default": "The clinic cannot take this booking; please call the clinic.",
}
