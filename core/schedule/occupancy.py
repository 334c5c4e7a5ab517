"""Claiming a doctor's and a room's time, atomically, through the occupancy cells.

A claim is one multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING`: the
unique cell constraint lets exactly one of any number of concurrent claims
have a cell, on SQLite and PostgreSQL alike. A short claim means the time is
taken; the caller raises and its transaction rolls back every cell it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.database import insert_or_skip
from core.models import Occupancy
from core.schedule.slots import cells

DOCTOR = "D"
ROOM = "R"


@dataclass(frozen=True)
class Resources:
    """The doctor, and the room if the slot has one, that a visit occupies."""

    doctor_id: int
    room_id: int | None = None

    def pairs(self) -> list[tuple[str, int]]:
        keys = [(DOCTOR, self.doctor_id)]
        if self.room_id is not None:
            keys.append((ROOM, self.room_id))
        return keys


def live(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """Cells that count as taken: bookings, and holds that have not expired."""
    return or_(col(Occupancy.expires_at).is_(None), col(Occupancy.expires_at) > now)


async def claim(
    session: AsyncSession,
    resources: Resources,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    booking_id: int | None = None,
    hold_id: int | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Take every cell of [start, end) for the resources; False if any was taken.

    The insert goes first: on the hot path no expired hold lies in the way, and the
    claim is one statement. Only a short claim looks for expired holds, deletes
    them and claims the cells still missing (the conflict skips those it has).
    """
    grid = cells(start, end)
    rows = [
        {
            "resource_kind": kind,
            "resource_id": resource_id,
            "cell_at": at,
            "booking_id": booking_id,
            "hold_id": hold_id,
            "expires_at": expires_at,
        }
        for kind, resource_id in resources.pairs()
        for at in grid
    ]
    stmt = insert_or_skip(session, Occupancy, "resource_kind", "resource_id", "cell_at")
    # Rows passed apart from the statement: one statement compiled once, sent as a
    # multi-row INSERT (SQLAlchemy's "insertmanyvalues"); a literal multi-row
    # `.values()` would be compiled anew for every claim.
    stmt = stmt.returning(col(Occupancy.id))
    got = len((await session.execute(stmt, rows)).all())
    if got == len(rows):
        return True
    # Expired holds give way; deleting them keeps the second insert a plain one.
    expired = await session.execute(
        delete(Occupancy).where(
            or_(
                *(
                    and_(
                        col(Occupancy.resource_kind) == kind,
                        col(Occupancy.resource_id) == resource_id,
                    )
                    for kind, resource_id in resources.pairs()
                )
            ),
            col(Occupancy.cell_at) >= start,
            col(Occupancy.cell_at) < end,
            col(Occupancy.expires_at) <= now,
        )
    )
    if not expired.rowcount:  # type: ignore[attr-defined]
        return False
    got += len((await session.execute(stmt, rows)).all())
    return got == len(rows)


async def release_booking(session: AsyncSession, booking_id: int) -> None:
    await session.execute(delete(Occupancy).where(col(Occupancy.booking_id) == booking_id))


async def release_hold(session: AsyncSession, hold_id: int) -> None:
    await session.execute(delete(Occupancy).where(col(Occupancy.hold_id) == hold_id))


async def taken_cells(
    session: AsyncSession,
    doctors: set[int],
    rooms: set[int],
    start: datetime,
    end: datetime,
    now: datetime,
) -> set[tuple[str, int, datetime]]:
    """The live cells of these doctors and rooms inside [start, end), as (kind, id, cell)."""
    if not doctors and not rooms:
        return set()
    rows = await session.execute(
        _TAKEN_CELLS,
        {"doctors": list(doctors), "rooms": list(rooms), "start": start, "end": end, "now": now},
    )
    return {(kind, rid, at) for kind, rid, at in rows.all()}


# Built once: the search runs it for every batch, and building costs more than running.
_TAKEN_CELLS = select(
    col(Occupancy.resource_kind), col(Occupancy.resource_id), col(Occupancy.cell_at)
).where(
    or_(
        and_(
            col(Occupancy.resource_kind) == DOCTOR,
            col(Occupancy.resource_id).in_(bindparam("doctors", expanding=True)),
        ),
        and_(
            col(Occupancy.resource_kind) == ROOM,
            col(Occupancy.resource_id).in_(bindparam("rooms", expanding=True)),
        ),
    ),
    col(Occupancy.cell_at) >= bindparam("start"),
    col(Occupancy.cell_at) < bindparam("end"),
    live(bindparam("now")),
)
