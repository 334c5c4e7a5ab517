"""Lists only the desk reads, each narrowed to a staff member's scope: the waiting list,
the weekly schedule templates, the conflicts a regeneration left, and bookings counted
per channel. No patient journey needs these, so they live apart from the services
the journeys share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlmodel import col

from core.db.database import Database
from core.desk.scope import StaffScope
from core.errors import NotFound
from core.models import Booking, ScheduleConflict, ScheduleTemplate, WaitlistEntry
from core.vocab import Channel, WaitlistStatus

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    items: list[T]
    has_more: bool


async def read_page(db: Database, statement: Select[Any], limit: int, offset: int) -> Found[Any]:
    """One page of an ordered statement's rows; one row more is read to tell `has_more`."""
    async with db.read() as session:
        rows = list((await session.execute(statement.limit(limit + 1).offset(offset))).scalars())
    return Found(rows[:limit], has_more=len(rows) > limit)


def _in(column: Any, ids: frozenset[int] | None) -> ColumnElement[bool]:
    return true() if ids is None else col(column).in_(sorted(ids))


class DeskLists:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _page(self, statement: Select[Any], limit: int, offset: int) -> Found[Any]:
        return await read_page(self.db, statement, limit, offset)

    async def waitlist(
        self,
        scope: StaffScope,
        statuses: frozenset[WaitlistStatus] | None,
        *,
        limit: int,
        offset: int,
    ) -> Found[WaitlistEntry]:
        """Entries, the longest waiting first."""
        statement = select(WaitlistEntry).where(scope.desk_rows(WaitlistEntry.branch_id))
        if statuses:
            statement = statement.where(col(WaitlistEntry.status).in_(sorted(statuses)))
        statement = statement.order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
        return await self._page(statement, limit, offset)

    async def waitlist_entry(self, scope: StaffScope, entry_id: int) -> WaitlistEntry:
        async with self.db.read() as session:
            entry = (
                await session.execute(
                    select(WaitlistEntry).where(
                        col(WaitlistEntry.id) == entry_id, scope.desk_rows(WaitlistEntry.branch_id)
                    )
                )
            ).scalar_one_or_none()
        if entry is None:
            raise NotFound("no such waiting-list entry")
        return entry

    async def templates(
        self,
        scope: StaffScope,
        *,
        doctor_ids: frozenset[int] | None,
        branch_ids: frozenset[int] | None,
        limit: int,
        offset: int,
    ) -> Found[ScheduleTemplate]:
        statement = (
            select(ScheduleTemplate)
            .where(
                _in(ScheduleTemplate.doctor_id, scope.doctor_ids),
                _in(ScheduleTemplate.branch_id, scope.branch_ids),
                _in(ScheduleTemplate.doctor_id, doctor_ids),
                _in(ScheduleTemplate.branch_id, branch_ids),
            )
            .order_by(
                col(ScheduleTemplate.doctor_id),
                col(ScheduleTemplate.weekday),
                col(ScheduleTemplate.start_time),
                col(ScheduleTemplate.id),
            )
        )
        return await self._page(statement, limit, offset)

    async def conflicts(
        self, scope: StaffScope, *, resolved: bool, limit: int, offset: int
    ) -> Found[ScheduleConflict]:
        """Booked visits a regenerated schedule no longer covers, earliest first."""
        statement = (
            select(ScheduleConflict)
            .join(Booking, col(Booking.id) == col(ScheduleConflict.booking_id))
            .where(
                col(ScheduleConflict.resolved).is_(resolved),
                _in(Booking.doctor_id, scope.doctor_ids),
                _in(Booking.branch_id, scope.branch_ids),
            )
            .order_by(col(ScheduleConflict.start_at), col(ScheduleConflict.id))
        )
        return await self._page(statement, limit, offset)

    async def bookings_per_channel(
        self, scope: StaffScope, start: datetime, end: datetime
    ) -> dict[Channel, int]:
        """Bookings made through each channel for visits in [start, end), cancelled or not."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(col(Booking.source), func.count())
                .where(
                    col(Booking.start_at) >= start,
                    col(Booking.start_at) < end,
                    _in(Booking.doctor_id, scope.doctor_ids),
                    _in(Booking.branch_id, scope.branch_ids),
                )
                .group_by(col(Booking.source))
            )
            return {Channel(source): int(count) for source, count in rows.all()}
