"""Settling the notifications a crash caught mid-send (`in_doubt`, see notifications.py).

Each is settled once, by whichever worker gets to it, after its lease and a grace
period have passed (so a slow worker still recording it wins):

- where every address it could have gone to has a provider that keeps a list of our
  messages (Twilio: WhatsApp and SMS), the list decides: a message to one of them
  since the claim means it went out (`sent`, `confirmed`); none means it did not, and
  it is sent again (`pending`, `resent`): no duplicate either way;
- where one address cannot be asked (Telegram keeps no list a bot may read), a
  reminder whose visit is at least `resend_ahead` away is sent again (`resent`): a
  second reminder costs less than a missed visit; anything else stays `in_doubt`
  (`unresolved`), for the desk to see.

`doubt` records which, and the metrics count it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.messaging.compose import addresses
from core.messaging.port import REMINDER, SentLedger, TryLater
from core.models import Notification
from core.vocab import Channel, DoubtOutcome, NotificationStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DoubtPolicy:
    lease: timedelta = timedelta(seconds=60)  # the dispatcher's: the claim was lease_until - it
    grace: timedelta = timedelta(seconds=60)  # after the lease ran out, before settling
    resend_ahead: timedelta = timedelta(hours=2)  # a reminder this close is not sent twice
    clock_skew: timedelta = timedelta(minutes=2)  # the provider's clock against ours
    batch: int = 50


@dataclass
class DoubtReport:
    confirmed: int = 0
    resent: int = 0
    unresolved: int = 0
    postponed: int = 0  # a provider could not tell now: asked again on the next pass


@dataclass(frozen=True)
class _Verdict:
    outcome: DoubtOutcome
    channel: Channel | None = None
    provider_id: str | None = None


class DoubtResolver:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        ledgers: Mapping[Channel, SentLedger],
        policy: DoubtPolicy | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ledgers = ledgers
        self.policy = policy or DoubtPolicy()

    async def run_once(self) -> DoubtReport:
        report = DoubtReport()
        now = self.clock.now()
        async with self.db.read() as session:
            rows = list(
                (
                    await session.execute(
                        select(Notification)
                        .where(
                            col(Notification.status) == NotificationStatus.IN_DOUBT,
                            col(Notification.doubt).is_(None),
                            col(Notification.lease_until) < now - self.policy.grace,
                        )
                        .order_by(col(Notification.id))
                        .limit(self.policy.batch)
                    )
                ).scalars()
            )
            targets = {row.id: await addresses(session, row) for row in rows}
        for row in rows:
            try:
                verdict = await self._judge(row, targets[row.id], now)
            except TryLater as exc:
                log.info("notification %s in doubt: %s; asked again later", row.id, exc)
                report.postponed += 1
                continue
            if await self._settle(row, verdict, now):
                report.confirmed += verdict.outcome is DoubtOutcome.CONFIRMED
                report.resent += verdict.outcome is DoubtOutcome.RESENT
                report.unresolved += verdict.outcome is DoubtOutcome.UNRESOLVED
        return report

    async def _judge(
        self, row: Notification, targets: Sequence[tuple[Channel, str]], now: datetime
    ) -> _Verdict:
        assert row.lease_until is not None
        since = row.lease_until - self.policy.lease - self.policy.clock_skew
        blind = False
        for channel, address in targets:
            ledger = self.ledgers.get(channel)
            if ledger is None:
                blind = True
                continue
            provider_id = await ledger.sent_since(address, since)
            if provider_id is not None:
                return _Verdict(DoubtOutcome.CONFIRMED, channel, provider_id)
        if not blind:
            return _Verdict(DoubtOutcome.RESENT)  # every provider says it did not go out
        far = row.visit_start is not None and row.visit_start - now >= self.policy.resend_ahead
        if row.topic == REMINDER and far:
            return _Verdict(DoubtOutcome.RESENT)
        return _Verdict(DoubtOutcome.UNRESOLVED)

    async def _settle(self, row: Notification, verdict: _Verdict, now: datetime) -> bool:
        """One conditional update: only a row still in doubt and unsettled changes."""
        values: dict[str, object] = {"doubt": verdict.outcome}
        if verdict.outcome is DoubtOutcome.CONFIRMED:
            values |= {
                "status": NotificationStatus.SENT,
                "channel": verdict.channel,
                "provider_id": (verdict.provider_id or "")[:64],
                "sent_at": now,
                "error": None,
                "lease_until": None,
            }
        elif verdict.outcome is DoubtOutcome.RESENT:
            values |= {
                "status": NotificationStatus.PENDING,
                "due_at": now,
                "claimed_by": None,
                "lease_until": None,
            }

        async def work(session: AsyncSession) -> bool:
            changed = await session.execute(
                update(Notification)
                .where(
                    col(Notification.id) == row.id,
                    col(Notification.status) == NotificationStatus.IN_DOUBT,
                    col(Notification.doubt).is_(None),
                )
                .values(**values)
                .returning(col(Notification.id))
            )
            return changed.first() is not None

        settled = await self.db.write(work)
        if settled:
            log.info("notification %s in doubt: %s", row.id, verdict.outcome.value)
        return settled
