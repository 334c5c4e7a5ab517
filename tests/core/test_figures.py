"""The operator's figures read from the database (core/figures.py), on SQLite and
PostgreSQL: notifications due and their lag, partner operations owed or refused per
partner, callbacks waiting and the longest wait, bookings per channel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FrozenClock
from core.db.database import Database
from core.figures import read_figures
from core.models import CallbackRequest, Notification, PartnerOperation
from core.vocab import (
    CallbackReason,
    CallbackStatus,
    Channel,
    DoubtOutcome,
    NotificationStatus,
    PartnerOpKind,
    PartnerOpStatus,
)


async def test_an_empty_database_has_nothing_waiting(db: Database, clock: FrozenClock) -> None:
    figures = await read_figures(db, clock.now())
    assert figures.notifications_due == 0
    assert figures.notification_lag == 0.0
    assert figures.callbacks_waiting == 0
    assert figures.bookings == {}


async def test_queues_and_their_ages(db: Database, clock: FrozenClock) -> None:
    now = clock.now()

    def notification(
        n: int, status: NotificationStatus, due_minutes_ago: int, doubt: DoubtOutcome | None = None
    ) -> Notification:
        return Notification(
            doubt=doubt,
            key=f"n{n}",
            topic="reminder",
            status=status,
            due_at=now - timedelta(minutes=due_minutes_ago),
            created_at=now,
        )

    def operation(n: int, partner: Channel, status: PartnerOpStatus) -> PartnerOperation:
        return PartnerOperation(
            partner=partner,
            key=f"op{n}",
            kind=PartnerOpKind.BOOK,
            subject="b1",
            status=status,
            next_attempt_at=now,
            created_at=now,
        )

    async def work(session: AsyncSession) -> None:
        session.add_all(
            [
                notification(1, NotificationStatus.PENDING, 7),  # due 7 minutes ago
                notification(2, NotificationStatus.PENDING, 2),
                notification(3, NotificationStatus.PENDING, -30),  # not due yet
                notification(4, NotificationStatus.SENT, 60, DoubtOutcome.CONFIRMED),
                notification(5, NotificationStatus.IN_DOUBT, 60),
                operation(1, Channel.ONDOC, PartnerOpStatus.PENDING),
                operation(2, Channel.ONDOC, PartnerOpStatus.FAILED),
                operation(3, Channel.ONDOC, PartnerOpStatus.DONE),  # history: not counted
                operation(4, Channel.LUXMED, PartnerOpStatus.PENDING),
                CallbackRequest(
                    phone="+48601000001",
                    reason=CallbackReason.MISSED,
                    call_sid="CA1",
                    created_at=now - timedelta(minutes=12),
                    updated_at=now,
                ),
                CallbackRequest(
                    phone="+48601000002",
                    reason=CallbackReason.MISSED,
                    call_sid="CA2",
                    status=CallbackStatus.DONE,
                    created_at=now - timedelta(hours=5),
                    updated_at=now,
                ),
            ]
        )

    await db.write(work)
    figures = await read_figures(db, now)

    assert figures.notifications_due == 2
    assert figures.notification_lag == 7 * 60
    assert figures.notifications == {"pending": 3, "sent": 1, "in_doubt": 1}
    assert figures.doubts == {"confirmed": 1}
    assert figures.partner_operations == {
        ("ondoc", "pending"): 1,
        ("ondoc", "failed"): 1,
        ("luxmed", "pending"): 1,
    }
    assert figures.callbacks_waiting == 1
    assert figures.callback_longest_wait == 12 * 60
