"""Fixed-window throttles, bumped with one atomic upsert so parallel guesses all count.

Only failures may use up an allowance: an attempt is counted before it is checked (so
parallel guesses cannot slip past the limit), and a successful one is `refund`ed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.types import UTCDateTime
from core.models import Throttle


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: timedelta


async def bump(session: AsyncSession, scope: str, limit: Limit, now: datetime) -> bool:
    """Count one attempt in `scope`; False once the window's allowance is spent."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stale = col(Throttle.window_start) <= now - limit.window
    stmt = (
        dialect.insert(Throttle)
        .values(scope=scope, window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=["scope"],
            set_={
                "count": case((stale, 1), else_=col(Throttle.count) + 1),
                "window_start": case(
                    (stale, literal(now, UTCDateTime())), else_=col(Throttle.window_start)
                ),
            },
        )
        .returning(col(Throttle.count))
    )
    count: int = (await session.execute(stmt)).scalar_one()
    return count <= limit.attempts


async def refund(session: AsyncSession, scope: str) -> None:
    """Give back the attempt `bump` counted in `scope`: it succeeded."""
    await session.execute(
        update(Throttle)
        .where(col(Throttle.scope) == scope, col(Throttle.count) > 0)
        .values(count=col(Throttle.count) - 1)
        .execution_options(synchronize_session=False)
    )
