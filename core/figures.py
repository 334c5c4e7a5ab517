"""The operator's figures read from the database: what every process sees alike, so any
one of them can report them (the `/metrics` endpoint reads them at each scrape).

Counts only, grouped by channel, status or partner: no row's content. Ages are in
seconds from `now`; a queue that is empty has an age of 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from core.db.database import Database
from core.models import Booking, CallbackRequest, Notification, PartnerOperation
from core.vocab import CallbackStatus, NotificationStatus, PartnerOpStatus

# What a partner still owes or was refused; done, skipped and discarded are history.
PARTNER_OPEN = (PartnerOpStatus.PENDING, PartnerOpStatus.CLAIMED, PartnerOpStatus.FAILED)


@dataclass(frozen=True)
class Figures:
    bookings: dict[str, int] = field(default_factory=dict)  # by the channel that made them
    notifications: dict[str, int] = field(default_factory=dict)  # by status
    notifications_due: int = 0  # pending and due now: the worker has yet to send them
    notification_lag: float = 0.0  # seconds since the oldest of those fell due
    doubts: dict[str, int] = field(default_factory=dict)  # in-doubt rows settled, by outcome
    partner_operations: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # (partner, status)
    callbacks_waiting: int = 0
    callback_longest_wait: float = 0.0  # seconds the oldest open callback request has waited


async def read_figures(db: Database, now: datetime) -> Figures:
    async with db.read() as session:
        bookings = await session.execute(
            select(col(Booking.source), func.count()).group_by(col(Booking.source))
        )
        notifications = await session.execute(
            select(col(Notification.status), func.count()).group_by(col(Notification.status))
        )
        due = (
            await session.execute(
                select(func.count(), func.min(col(Notification.due_at))).where(
                    col(Notification.status) == NotificationStatus.PENDING,
                    col(Notification.due_at) <= now,
                )
            )
        ).one()
        doubts = await session.execute(
            select(col(Notification.doubt), func.count())
            .where(col(Notification.doubt).is_not(None))
            .group_by(col(Notification.doubt))
        )
        operations = await session.execute(
            select(col(PartnerOperation.partner), col(PartnerOperation.status), func.count())
            .where(col(PartnerOperation.status).in_(PARTNER_OPEN))
            .group_by(col(PartnerOperation.partner), col(PartnerOperation.status))
        )
        callbacks = (
            await session.execute(
                select(func.count(), func.min(col(CallbackRequest.created_at))).where(
                    col(CallbackRequest.status) == CallbackStatus.OPEN
                )
            )
        ).one()
    return Figures(
        bookings={str(channel): n for channel, n in bookings},
        notifications={str(status): n for status, n in notifications},
        notifications_due=due[0],
        notification_lag=_age(now, due[1]),
        doubts={str(outcome): n for outcome, n in doubts},
        partner_operations={(str(p), str(s)): n for p, s, n in operations},
        callbacks_waiting=callbacks[0],
        callback_longest_wait=_age(now, callbacks[1]),
    )


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite hands an aggregate back without its zone
        since = since.replace(tzinfo=now.tzinfo)
    return max((now - since).total_seconds(), 0.0)
