"""Calls as the desk's reports read them, in a member's scope: the call records of a
period page by page, and calls counted per day (the local day of the branch called) and
per outcome."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from core.db.database import Database
from core.desk.lists import Found, read_page
from core.desk.scope import StaffScope
from core.models import Branch, Call
from core.vocab import CallOutcome


class CallReports:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def records(
        self, scope: StaffScope, start: datetime, end: datetime, *, limit: int, offset: int
    ) -> Found[Call]:
        """The calls that started in [start, end), in the order they came."""
        statement = (
            select(Call)
            .where(*_period(scope, start, end))
            .order_by(col(Call.started_at), col(Call.id))
        )
        return await read_page(self.db, statement, limit, offset)

    async def per_day(self, scope: StaffScope, start: datetime, end: datetime) -> dict[date, int]:
        """Calls per local day, every day of the period included (zero where none came).

        A call's day is the one on its branch's clock; the period's days are read on the
        clinic's first branch's clock. Counted here rather than in SQL, where SQLite and
        PostgreSQL share no time-zone arithmetic: a period is at most a year of calls.
        """
        async with self.db.read() as session:
            branches = await session.execute(select(col(Branch.id), col(Branch.timezone)))
            zones = {branch_id: zone for branch_id, zone in branches.all() if branch_id}
            rows = await session.execute(
                select(col(Call.started_at), col(Call.branch_id)).where(*_period(scope, start, end))
            )
            clinic = ZoneInfo(zones[min(zones)]) if zones else ZoneInfo("UTC")
            counts: dict[date, int] = {}
            for started_at, branch_id in rows.all():
                zone = ZoneInfo(zones[branch_id]) if branch_id in zones else clinic
                day = started_at.astimezone(zone).date()
                counts[day] = counts.get(day, 0) + 1
        first = start.astimezone(clinic).date()
        last = (end - timedelta(microseconds=1)).astimezone(clinic).date()
        days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
        return {day: counts.get(day, 0) for day in sorted(days | counts.keys())}

    async def outcomes(
        self, scope: StaffScope, start: datetime, end: datetime
    ) -> dict[CallOutcome | None, int]:
        """Calls per outcome; None counts the calls still going on."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(col(Call.outcome), func.count())
                .where(*_period(scope, start, end))
                .group_by(col(Call.outcome))
            )
            return {outcome: int(count) for outcome, count in rows.all()}


def _period(scope: StaffScope, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Call.started_at) >= start,
        col(Call.started_at) < end,
        scope.desk_rows(Call.branch_id),
    )
