"""The walk's statements for the free-slot search (core/schedule/search.py): the
candidate read of each shape of query.

Each is built once (the candidate reads on first use of their shape) and its values
are bound at execution (`bindparam`), so the walk's windows and batches build none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    bindparam,
    exists,
    false,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.db.instants import minutes_after
from core.models import (
    Branch,
    Doctor,
    DoctorLanguage,
    DoctorSpecialty,
    Occupancy,
    Slot,
)
from core.schedule.occupancy import DOCTOR, ROOM, live

CANDIDATE_COLUMNS = (
    col(Slot.doctor_id),
    col(Slot.branch_id),
    col(Slot.room_id),
    col(Slot.start_at),
    col(Slot.end_at),
    col(Slot.availability),
    col(Branch.timezone),
)


@dataclass(frozen=True)
class CandidateShape:
    """Which filters a candidate read has: one cached statement per shape."""

    paged: bool
    channel_bits: bool
    doctor: bool
    branch: bool
    service: bool
    specialty: bool
    language: bool
    visit_minutes: bool  # the service sets the visit's length; else the slot's own


@lru_cache(maxsize=128)
def candidate_read(
    shape: CandidateShape,
) -> Select[int, int, int | None, datetime, datetime, int, str]:
    """The candidate read of one shape, its values bound at execution (the search's `_bind`).

    Built once per shape: building a statement costs more than running it on
    a small clinic, and every search of a patient's turn has one of few shapes.
    """
    stmt = (
        select(*CANDIDATE_COLUMNS)
        .join(Branch, col(Branch.id) == col(Slot.branch_id))
        .where(
            col(Slot.start_at) >= bindparam("low"),
            col(Slot.start_at) < bindparam("high"),
            # A booking holds the slot's first cell: no visit starts here. Written as the
            # partial index's own term, so the walk reads only the other slots.
            col(Slot.start_booked) == false(),
        )
        .order_by(col(Slot.start_at), col(Slot.doctor_id))
        .limit(bindparam("batch"))
    )
    if not shape.service:  # a service's doctors are read active (the search's `_visit`)
        stmt = stmt.join(Doctor, col(Doctor.id) == col(Slot.doctor_id)).where(
            col(Doctor.active).is_(True)
        )
    if shape.paged:  # keyset paging: many doctors may start at one instant
        stmt = stmt.where(
            tuple_(col(Slot.start_at), col(Slot.doctor_id))
            > tuple_(bindparam("after_start"), bindparam("after_doctor"))
        )
    if shape.channel_bits:
        stmt = stmt.where(col(Slot.availability).op("&")(bindparam("bits")) != 0)
    if shape.doctor:
        stmt = stmt.where(col(Slot.doctor_id) == bindparam("doctor_id"))
    if shape.branch:
        stmt = stmt.where(col(Slot.branch_id) == bindparam("branch_id"))
    if shape.service:  # the service's doctors, read first: their (doctor, start) index
        stmt = stmt.where(col(Slot.doctor_id).in_(bindparam("doctors", expanding=True)))
    if shape.specialty:
        stmt = stmt.where(
            exists().where(
                col(DoctorSpecialty.doctor_id) == col(Slot.doctor_id),
                col(DoctorSpecialty.specialty_id) == bindparam("specialty_id"),
            )
        )
    if shape.language:
        stmt = stmt.where(
            exists().where(
                col(DoctorLanguage.doctor_id) == col(Slot.doctor_id),
                col(DoctorLanguage.language) == bindparam("language"),
            )
        )
    # Last, so the cheap filters above run first (SQLite tests correlated terms in
    # order): drop the slots where any cell of the visit is taken, for the doctor or
    # the room, so a batch holds only candidates that are free from start to end.
    visit_end = minutes_after(col(Slot.start_at), bindparam("minutes"))
    end = visit_end if shape.visit_minutes else col(Slot.end_at)
    for kind, resource in ((DOCTOR, col(Slot.doctor_id)), (ROOM, col(Slot.room_id))):
        stmt = stmt.where(
            ~per_row(
                col(Occupancy.resource_kind) == kind,
                col(Occupancy.resource_id) == resource,
                col(Occupancy.cell_at) >= col(Slot.start_at),
                col(Occupancy.cell_at) < end,
                live(bindparam("now")),
            )
        )
    if shape.visit_minutes:
        stmt = stmt.where(~_a_gap_before(visit_end, shape.channel_bits))
    return stmt


def per_row(*terms: ColumnElement[bool]) -> Exists:
    """`EXISTS (... OFFSET 0)`: tested row by row on the walk's few candidates.

    PostgreSQL turns a plain EXISTS into a join and weighs every join order: with
    the visit's three it planned for 4-8 ms to run for 0.5 (this project plans each
    statement with its values: `plan_cache_mode`). An OFFSET keeps it a subplan, so
    planning takes under a millisecond. SQLite tests EXISTS row by row anyway.
    """
    return select(literal_column("1")).where(*terms).offset(0).exists()


def _a_gap_before(end: minutes_after, channel_bits: bool) -> Exists:
    """A visit longer than its slot runs on in the doctor's following slots, without a gap,
    in the same branch, each visible to the channel: true when a usable slot inside
    the visit ends where no usable slot begins. From the candidate slot on, each usable
    slot ending before the visit's end must be followed by one, so the run reaches it.
    """
    ended, follower = aliased(Slot), aliased(Slot)
    visible: list[ColumnElement[bool]] = []
    if channel_bits:
        visible = [
            col(ended.availability).op("&")(bindparam("bits")) != 0,
            col(follower.availability).op("&")(bindparam("bits")) != 0,
        ]
    return per_row(
        col(ended.doctor_id) == col(Slot.doctor_id),
        # `+ 0` keeps the branch out of the index choice: on the (branch, start) index
        # SQLite probed the following slots of every doctor of the branch.
        col(ended.branch_id) + 0 == col(Slot.branch_id),
        col(ended.start_at) >= col(Slot.start_at),  # the unique (doctor, start) index's range
        col(ended.start_at) < end,
        col(ended.end_at) < end,
        *visible[:1],
        ~per_row(
            col(follower.doctor_id) == col(ended.doctor_id),
            col(follower.start_at) == col(ended.end_at),
            col(follower.branch_id) == col(ended.branch_id),
            *visible[1:],
        ),
    )
