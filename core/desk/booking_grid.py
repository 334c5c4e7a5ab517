"""The desk's booking grid: one branch's day, doctors side by side, in the engine's
5-minute cells (`core.clinic.grid`).

A cell is a visit of this branch (with its patient and service), time taken otherwise
(a hold, the doctor's visit at another branch), free time inside a slot (a slot's first
cell is where a visit may start), or time the doctor does not work here. Free here means
what the occupancy cells say at this moment; booking it still goes through the engine,
which checks everything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlmodel import col

from core.clinic.grid import GRID
from core.db.database import Database
from core.desk.booking_search import BookingFilter, BookingRow, BookingSearch
from core.desk.scope import StaffScope
from core.models import Doctor, Occupancy, Slot
from core.schedule.occupancy import DOCTOR, live
from core.vocab import BookingStatus

ACTIVE = frozenset(s for s in BookingStatus if s.active)
MAX_VISITS = 200  # more than any branch's day holds


class CellKind(StrEnum):
    OFF = "off"  # the doctor does not work here then
    FREE = "free"
    TAKEN = "taken"  # held, or the doctor's visit elsewhere
    VISIT = "visit"


@dataclass(frozen=True)
class Cell:
    kind: CellKind
    at: datetime
    starts_slot: bool = False  # a free cell where a visit may start
    visit: BookingRow | None = None  # the visit starting in this cell
    span: int = 1  # cells the visit covers in this grid (its rows)


@dataclass(frozen=True)
class GridRow:
    at: datetime
    cells: list[Cell | None]  # None: covered by a visit that started above


@dataclass(frozen=True)
class DayGrid:
    doctors: list[Doctor]
    rows: list[GridRow]

    def free_starts(self, doctor_index: int) -> list[datetime]:
        """The times a visit may start with this doctor, in order."""
        return [
            cell.at
            for row in self.rows
            if (cell := row.cells[doctor_index]) is not None and cell.starts_slot
        ]

    def visits(self, doctor_index: int) -> int:
        return sum(
            1
            for row in self.rows
            if (cell := row.cells[doctor_index]) is not None and cell.visit is not None
        )


class BookingGrid:
    def __init__(self, db: Database, search: BookingSearch) -> None:
        self.db = db
        self.search = search

    async def day(
        self,
        scope: StaffScope,
        branch_id: int,
        start: datetime,
        end: datetime,
        now: datetime,
        language: str = "pl",
    ) -> DayGrid:
        """The branch's grid over [start, end) (a local day's bounds), as `scope` sees it:
        a doctor sees their own column only; its visits named in `language`."""
        slot_query = select(Slot).where(
            col(Slot.branch_id) == branch_id, col(Slot.start_at) < end, col(Slot.end_at) > start
        )
        if scope.doctor_ids is not None:
            slot_query = slot_query.where(col(Slot.doctor_id).in_(sorted(scope.doctor_ids)))
        async with self.db.read() as session:
            slots = list((await session.execute(slot_query)).scalars())
            doctor_ids = sorted({s.doctor_id for s in slots})
            doctors = list(
                (
                    await session.execute(
                        select(Doctor)
                        .where(col(Doctor.id).in_(doctor_ids))
                        .order_by(col(Doctor.last_name), col(Doctor.first_name))
                    )
                ).scalars()
            )
            taken = (
                await session.execute(
                    select(col(Occupancy.resource_id), col(Occupancy.cell_at)).where(
                        col(Occupancy.resource_kind) == DOCTOR,
                        col(Occupancy.resource_id).in_(doctor_ids),
                        col(Occupancy.cell_at) >= start,
                        col(Occupancy.cell_at) < end,
                        live(now),
                    )
                )
            ).all()
        visits = await self.search.find(
            BookingFilter(
                start=start, end=end, branch_ids=frozenset({branch_id}), statuses=ACTIVE
            ).narrowed(doctor_ids=scope.doctor_ids, branch_ids=scope.branch_ids),
            limit=MAX_VISITS,
            language=language,
        )
        return lay_out(
            doctors,
            slots,
            {(int(d), at) for d, at in taken},
            visits.rows,
            start=start,
            end=end,
        )

    async def next_working(
        self, scope: StaffScope, branch_id: int, after: datetime
    ) -> datetime | None:
        """When the branch's next slot (of a doctor `scope` sees) starts, from `after`: where
        the desk goes from a day no doctor works."""
        query = select(func.min(col(Slot.start_at))).where(
            col(Slot.branch_id) == branch_id, col(Slot.start_at) >= after
        )
        if scope.doctor_ids is not None:
            query = query.where(col(Slot.doctor_id).in_(sorted(scope.doctor_ids)))
        async with self.db.read() as session:
            first: datetime | None = (await session.execute(query)).scalar_one_or_none()
        return first


def lay_out(
    doctors: list[Doctor],
    slots: list[Slot],
    taken: set[tuple[int, datetime]],
    visits: list[BookingRow],
    *,
    start: datetime,
    end: datetime,
) -> DayGrid:
    """The cells of the rows from the first slot to the last, one column per doctor."""
    if not slots:
        return DayGrid(doctors, [])
    first = max(min(s.start_at for s in slots), start)
    last = min(max(s.end_at for s in slots), end)
    times = []
    at = first
    while at < last:
        times.append(at)
        at += GRID
    index = {t: i for i, t in enumerate(times)}
    columns: list[list[Cell | None]] = []
    for doctor in doctors:
        column: list[Cell | None] = [Cell(CellKind.OFF, t) for t in times]
        for slot in (s for s in slots if s.doctor_id == doctor.id):
            t = slot.start_at
            while t < slot.end_at:
                if t in index:
                    column[index[t]] = Cell(CellKind.FREE, t, starts_slot=t == slot.start_at)
                t += GRID
        for i, t in enumerate(times):
            if (doctor.id, t) in taken:
                column[i] = Cell(CellKind.TAKEN, t)
        for row in (v for v in visits if v.booking.doctor_id == doctor.id):
            begin = max(row.booking.start_at, first)
            if begin not in index:
                continue
            top = index[begin]
            span = max(1, min(len(times), index.get(row.booking.end_at, len(times))) - top)
            column[top] = Cell(CellKind.VISIT, begin, visit=row, span=span)
            for below in range(top + 1, top + span):
                column[below] = None
        columns.append(column)
    rows = [GridRow(t, [column[i] for column in columns]) for i, t in enumerate(times)]
    return DayGrid(doctors, rows)
