"""No-shows as the desk reads them: visits whose patient did not come (marked on the day's
page), counted per doctor, service and the channel the visit was booked through against
the visits that were due, in a member's scope; and one patient's, for their card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import col

from core.db.database import Database
from core.desk.lists import _in
from core.desk.scope import StaffScope
from core.models import Booking
from core.vocab import BookingStatus, Channel

# Visits that were due: every status but a cancellation (a cancelled visit was not missed).
DUE = tuple(s.value for s in BookingStatus if s is not BookingStatus.CANCELLED)
MAX_LISTED = 50


@dataclass(frozen=True)
class NoShowCount:
    """One doctor's, service's or channel's no-shows among its visits that were due."""

    key: Any  # a doctor's or service's id, or a `Channel`
    no_shows: int
    due: int

    @property
    def percent(self) -> int:
        return round(100 * self.no_shows / self.due) if self.due else 0


@dataclass(frozen=True)
class NoShowReport:
    doctors: list[NoShowCount]
    services: list[NoShowCount]
    channels: list[NoShowCount]
    no_shows: int
    due: int


@dataclass(frozen=True)
class PatientNoShows:
    """A patient's missed visits: how many in all, the latest first (at most `MAX_LISTED`)."""

    count: int
    visits: list[Booking]


class NoShows:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def report(
        self,
        scope: StaffScope,
        start: datetime,
        end: datetime,
        *,
        branch_ids: frozenset[int] | None = None,
    ) -> NoShowReport:
        """No-shows of visits in [start, end) per doctor, service and booking channel, the
        most missed first; in `branch_ids` (None: all) as far as the scope reaches."""
        where = (*_period(scope, start, end), _in(Booking.branch_id, branch_ids))
        doctors = await self._counts(where, col(Booking.doctor_id))
        services = await self._counts(where, col(Booking.service_id))
        channels = await self._counts(where, col(Booking.source))
        return NoShowReport(
            doctors=doctors,
            services=services,
            channels=[NoShowCount(Channel(c.key), c.no_shows, c.due) for c in channels],
            no_shows=sum(c.no_shows for c in doctors),
            due=sum(c.due for c in doctors),
        )

    async def of_patient(self, patient_id: int, limit: int = MAX_LISTED) -> PatientNoShows:
        """The patient's no-shows, for their card (any branch: the card is the clinic's)."""
        missed = (
            col(Booking.patient_id) == patient_id,
            col(Booking.status) == BookingStatus.NO_SHOW,
        )
        async with self.db.read() as session:
            count = (await session.execute(select(func.count()).where(*missed))).scalar_one()
            rows = await session.execute(
                select(Booking)
                .where(*missed)
                .order_by(col(Booking.start_at).desc(), col(Booking.id).desc())
                .limit(limit)
            )
            return PatientNoShows(int(count), list(rows.scalars()))

    async def _counts(self, where: Sequence[Any], key: Any) -> list[NoShowCount]:
        missed = func.sum(case((col(Booking.status) == BookingStatus.NO_SHOW, 1), else_=0))
        async with self.db.read() as session:
            rows = await session.execute(
                select(key, missed, func.count()).where(*where).group_by(key)
            )
            found = [NoShowCount(k, int(n or 0), int(due)) for k, n, due in rows.all()]
        return sorted(found, key=lambda c: (-c.no_shows, -c.due, str(c.key)))


def _period(scope: StaffScope, start: datetime, end: datetime) -> Sequence[Any]:
    return (
        col(Booking.start_at) >= start,
        col(Booking.start_at) < end,
        col(Booking.status).in_(DUE),
        _in(Booking.doctor_id, scope.doctor_ids),
        _in(Booking.branch_id, scope.branch_ids),
    )
