"""What the desk does to bookings, within the scope of the member doing it.

Every face of the desk (the JSON API, the dashboard) calls these instead of the
booking service directly, so the rule "a registrar acts in their branches, a
doctor on their own schedule" is kept in one place: a booking outside the
scope is "not found"; a new time outside it is "forbidden". Changes are made
as `Actor.staff(login, reach)`, so the change history names the member.

The scope is checked twice: by a read here, a quick refusal before any partner
is asked about the visit, and by the booking service under the booking's row
lock (the actor's `Reach`), so a visit moved to another branch in between is
out of reach of its old branch's registrars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from core.booking.placement import MAX_SLOT, VisitRequest
from core.booking.service import BookingService
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.desk.booking_search import BookingFilter, BookingPage, BookingRow, BookingSearch
from core.desk.scope import StaffScope
from core.errors import Forbidden, InvalidTransition, OutsideAvailability
from core.models import Booking, BookingChange, Slot
from core.vocab import ActorKind, BookingStatus, StaffRole

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
# What a doctor may mark on their own visits: the visit's progress, not the desk's work.
DOCTOR_STATUSES = frozenset({BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED})
# Marked from the visit's local day on, never ahead of it.
ON_THE_DAY = frozenset({BookingStatus.ARRIVED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED})


def status_due(status: BookingStatus, start_at: datetime, timezone: str, now: datetime) -> bool:
    """Whether the visit's time allows `status` now: a patient arrives (and is seen) on the
    visit's day, in its branch's zone; misses it once its time has come; confirms any time."""
    if status is BookingStatus.NO_SHOW:
        return now >= start_at
    if status in ON_THE_DAY:
        zone = ZoneInfo(timezone)
        return now.astimezone(zone).date() >= start_at.astimezone(zone).date()
    return True


@dataclass(frozen=True)
class HistoryEntry:
    change: BookingChange
    by: str  # the staff member's display name, else the actor as recorded


class StaffBookings:
    def __init__(
        self, db: Database, booking: BookingService, search: BookingSearch, staff: StaffAccounts
    ) -> None:
        self.db = db
        self.booking = booking
        self.search = search
        self.staff = staff

    async def find(
        self,
        scope: StaffScope,
        query: BookingFilter,
        *,
        limit: int,
        offset: int,
        language: str = "pl",
    ) -> BookingPage:
        """Bookings in the member's scope, named in `language` (the member's)."""
        narrowed = query.narrowed(doctor_ids=scope.doctor_ids, branch_ids=scope.branch_ids)
        return await self.search.find(narrowed, limit=limit, offset=offset, language=language)

    async def trash(
        self, scope: StaffScope, *, limit: int, offset: int, language: str = "pl"
    ) -> BookingPage:
        """Cancelled visits: what may still be restored."""
        query = BookingFilter(statuses=frozenset({BookingStatus.CANCELLED})).narrowed(
            doctor_ids=scope.doctor_ids, branch_ids=scope.branch_ids
        )
        return await self.search.find(query, limit=limit, offset=offset, language=language)

    async def get(self, scope: StaffScope, booking_id: int, language: str = "pl") -> BookingRow:
        return await self.search.one(
            booking_id,
            BookingFilter().narrowed(doctor_ids=scope.doctor_ids, branch_ids=scope.branch_ids),
            language,
        )

    async def history(self, scope: StaffScope, booking_id: int) -> list[HistoryEntry]:
        await self.get(scope, booking_id)
        changes = await self.booking.history(booking_id)
        names = await self.staff.display_names(
            c.actor for c in changes if c.actor_kind is ActorKind.STAFF
        )
        return [HistoryEntry(c, names.get(c.actor, c.actor)) for c in changes]

    async def book(self, scope: StaffScope, request: VisitRequest) -> Booking:
        scope.require(*DESK)
        scope.check_branch(await self.branch_at(request.doctor_id, request.start_at))
        return await self.booking.book(scope.actor, request)

    async def move(
        self, scope: StaffScope, booking_id: int, *, doctor_id: int, start_at: datetime
    ) -> Booking:
        scope.require(*DESK)
        await self.get(scope, booking_id)
        scope.check_branch(await self.branch_at(doctor_id, start_at))
        return await self.booking.reschedule(
            scope.actor, booking_id, doctor_id=doctor_id, start_at=start_at
        )

    async def cancel(self, scope: StaffScope, booking_id: int, reason: str) -> Booking:
        scope.require(*DESK)
        await self.get(scope, booking_id)
        return await self.booking.cancel(scope.actor, booking_id, reason)

    async def restore(self, scope: StaffScope, booking_id: int) -> Booking:
        scope.require(*DESK)
        await self.get(scope, booking_id)
        return await self.booking.restore(scope.actor, booking_id)

    async def set_status(
        self, scope: StaffScope, booking_id: int, status: BookingStatus
    ) -> Booking:
        """The desk moves any visit along its statuses; a doctor marks the progress of
        their own visits only. Arrival and progress wait for the visit's day, a no-show
        for its time (`status_due`)."""
        if scope.role is StaffRole.DOCTOR and status not in DOCTOR_STATUSES:
            raise Forbidden("a doctor marks only a visit's progress")
        row = await self.get(scope, booking_id)
        if not status_due(status, row.booking.start_at, row.timezone, self.booking.clock.now()):
            raise InvalidTransition(f"a visit ahead cannot be marked {status}", reason="not_yet")
        return await self.booking.set_status(scope.actor, booking_id, status)

    async def branch_at(self, doctor_id: int, start_at: datetime) -> int:
        """The branch of the doctor's slot at that time (where a new visit would be)."""
        async with self.db.read() as session:
            branch_id = (
                await session.execute(
                    select(col(Slot.branch_id)).where(
                        col(Slot.doctor_id) == doctor_id,
                        col(Slot.start_at) <= start_at,
                        col(Slot.start_at) > start_at - MAX_SLOT,
                        col(Slot.end_at) > start_at,
                    )
                )
            ).scalar()
        if branch_id is None:
            raise OutsideAvailability("no slot there", reason="slot")
        return int(branch_id)
