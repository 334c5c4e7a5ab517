"""What every dashboard page needs: the core services it works through (bookings only
through `StaffBookings`, which keeps the member in their scope), and the branches and
doctors of that scope for the pages' filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from core.clinic.catalog import Catalog
from core.clock import Clock
from core.desk.bookings import StaffBookings
from core.desk.inbox import Inbox
from core.desk.scope import StaffScope
from core.models import Branch, Doctor
from frontdesk import keys


@dataclass(frozen=True)
class Desk:
    clock: Clock
    catalog: Catalog
    bookings: StaffBookings  # every read and change of a booking, within a scope
    inbox: Inbox

    @classmethod
    def of(cls, request: web.Request) -> Desk:
        app = request.app
        services = app[keys.SERVICES]
        return cls(
            clock=services.clock,
            catalog=services.catalog,
            bookings=services.staff_bookings,
            inbox=services.inbox,
        )

    async def branches(self, scope: StaffScope) -> list[Branch]:
        """The branches the member may pick: theirs, or all (doctors and admins)."""
        return [
            b
            for b in await self.catalog.branches()
            if scope.branch_ids is None or b.id in scope.branch_ids
        ]

    async def zone(self) -> str:
        """The clinic's time zone for what belongs to no branch (conversations): its
        first branch's."""
        branches = await self.catalog.branches()
        return branches[0].timezone if branches else "UTC"

    async def doctors(self, scope: StaffScope) -> list[Doctor]:
        """A doctor picks only themselves; the others may pick any doctor."""
        return [d for d in await self.catalog.doctors() if scope.doctor_id in (None, d.id)]


def local_day(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC bounds of a local calendar day (23 or 25 hours long on a clock change)."""
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(day, time(), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(), tzinfo=zone),
    )


def today_in(clock: Clock, timezone: str) -> date:
    return clock.now().astimezone(ZoneInfo(timezone)).date()
