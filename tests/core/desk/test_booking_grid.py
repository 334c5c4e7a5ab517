"""The booking grid's day, read through the core on SQLite and PostgreSQL: a visit covers
its 5-minute cells, a held time and a doctor's visit at another branch show as taken, free
times start where slots start, and a doctor sees only their own column."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.desk.booking_grid import BookingGrid, CellKind
from core.desk.booking_search import BookingSearch
from core.desk.scope import StaffScope
from core.vocab import Channel, StaffRole
from testkit.dashboard import WEDNESDAY_8
from testkit.factories import adult
from testkit.staff_desk import ADMIN, desk


def local_day(day: date, timezone: str) -> tuple[datetime, datetime]:
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))
    return midnight, midnight + timedelta(days=1)


async def test_visits_holds_and_free_times_on_the_grid(db: Database, clock: FrozenClock) -> None:
    clinic = await desk(db, clock)
    c = clinic.clinic
    assert c.internist.id is not None
    assert c.long_consult.id is not None
    assert c.consult.id is not None
    assert c.branch.id is not None
    booking = BookingService(db, clock)
    patient = await adult(db, clock, 1)
    await booking.book(
        ADMIN.actor, VisitRequest(patient, c.long_consult.id, c.internist.id, WEDNESDAY_8)
    )
    await booking.hold(
        Channel.TELEGRAM, c.consult.id, c.internist.id, WEDNESDAY_8 + timedelta(minutes=45)
    )
    start, end = local_day(WEDNESDAY_8.date(), c.branch.timezone)
    grid = await BookingGrid(db, BookingSearch(db)).day(ADMIN, c.branch.id, start, end, clock.now())

    names = [d.last_name for d in grid.doctors]
    assert names == ["Kowalska", "Nowak"]  # Mokotów's doctors only, by last name
    first = grid.rows[0]
    assert first.at == WEDNESDAY_8
    visit = first.cells[0]
    assert visit is not None
    assert visit.kind is CellKind.VISIT
    assert visit.span == 6  # 30 minutes
    assert visit.visit is not None
    assert visit.visit.patient_name == "Ewa Testowa1"
    assert all(row.cells[0] is None for row in grid.rows[1:6])
    held = grid.rows[9].cells[0]  # 08:45, held in a chat
    assert held is not None
    assert held.kind is CellKind.TAKEN
    starts = grid.free_starts(0)
    assert starts[0] == WEDNESDAY_8 + timedelta(minutes=30)
    assert WEDNESDAY_8 + timedelta(minutes=45) not in starts
    assert grid.visits(0) == 1


async def test_a_doctor_sees_their_own_column(db: Database, clock: FrozenClock) -> None:
    clinic = await desk(db, clock)
    c = clinic.clinic
    assert c.branch.id is not None
    own = StaffScope(
        staff_id=9,
        login="kowalska",
        role=StaffRole.DOCTOR,
        branch_ids=None,
        doctor_id=c.internist.id,
    )
    start, end = local_day(WEDNESDAY_8.date(), c.branch.timezone)
    grid = await BookingGrid(db, BookingSearch(db)).day(own, c.branch.id, start, end, clock.now())
    assert [d.id for d in grid.doctors] == [c.internist.id]
    weekend_start, weekend_end = local_day(
        WEDNESDAY_8.date() + timedelta(days=3), c.branch.timezone
    )
    empty = await BookingGrid(db, BookingSearch(db)).day(
        ADMIN, c.branch.id, weekend_start, weekend_end, clock.now()
    )
    assert empty.rows == []
