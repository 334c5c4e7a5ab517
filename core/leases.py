"""Work taken by one worker at a time, with a lease: the notifications' dispatcher and the
partner sync claim their due rows this way.

A batch is claimed in one statement: on PostgreSQL the due rows are picked `FOR UPDATE
SKIP LOCKED`, so any number of workers never take the same row, and the update checks
the row is still pending. A worker that is lost leaves claims whose lease runs out;
`give_back` returns them to pending for the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import Notification, PartnerOperation

# The tables worked this way: each has id, status, attempts, claimed_by and lease_until.
Leased = TypeVar("Leased", Notification, PartnerOperation)


@dataclass(frozen=True)
class Lease:
    worker_id: str
    length: timedelta
    batch: int  # rows claimed at most at once


async def claim(
    session: AsyncSession,
    table: type[Leased],
    due: Select[Any],
    lease: Lease,
    now: datetime,
    *,
    pending: StrEnum,
    claimed: StrEnum,
) -> list[int]:
    """Claim up to `lease.batch` of the rows `due` selects (their ids, in its order), each
    one more attempt; the ids claimed."""
    chosen = due.limit(lease.batch).with_for_update(skip_locked=True, of=table)
    rows = await session.execute(
        update(table)
        .where(col(table.id).in_(chosen.scalar_subquery()), col(table.status) == pending)
        .values(
            status=claimed,
            claimed_by=lease.worker_id,
            lease_until=now + lease.length,
            attempts=col(table.attempts) + 1,
        )
        .returning(col(table.id))
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in rows if row[0] is not None]


async def give_back(
    session: AsyncSession, table: type[Leased], now: datetime, *, pending: StrEnum, claimed: StrEnum
) -> int:
    """Claims whose lease ran out back to pending (their worker was lost); how many."""
    rows = await session.execute(
        update(table)
        .where(col(table.status) == claimed, col(table.lease_until) < now)
        .values(status=pending, claimed_by=None, lease_until=None)
        .returning(col(table.id))
    )
    return len(rows.all())
