"""Queuing notifications, once each: every row carries a key saying what it is about, and
a key already present is skipped by the database. The planner (`core.messaging.reminders`)
and the event rules (`ReminderRules.raise_event`) queue their rows here; the dispatcher
(`core.messaging.notifications`) delivers them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cause import current_cause
from core.db.database import insert_or_skip
from core.models import Notification
from core.vocab import NotificationStatus

_COLUMNS = dict.fromkeys(
    (
        "rule_id",
        "patient_id",
        "booking_id",
        "visit_start",
        "to_channel",
        "to_address",
        "subject_id",
        "expires_at",
    )
)
_CHUNK = 500  # rows per INSERT: far under SQLite's limit on bound values


def notification_row(key: str, **values: Any) -> dict[str, Any]:
    """A notification row with every column named, so many fit in one multi-row INSERT."""
    return {**_COLUMNS, "key": key, **values}


async def insert_notifications(
    session: AsyncSession, rows: list[dict[str, Any]], now: datetime
) -> int:
    """Insert the rows whose key is new; how many went in. Each pass of every worker
    offers the rows again, so this is a few multi-row statements, not one per row."""
    count = 0
    for start in range(0, len(rows), _CHUNK):
        chunk = [
            {
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "params": {},
                "created_at": now,
                "cause": current_cause(),
                **row,
            }
            for row in rows[start : start + _CHUNK]
        ]
        inserted = await session.execute(
            insert_or_skip(session, Notification, "key")
            .values(chunk)
            .returning(col(Notification.id))
        )
        count += len(inserted.all())
    return count
