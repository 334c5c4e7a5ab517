"""The walk's statements for the free-slot search (core/schedule/search.py): the
candidate read of each shape of query, and the read of the doctors' following slots.

Each is built once (the candidate reads on first use of their shape) and its values
are bound at execution (`bindparam`), so the walk's windows and batches build none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, exists, select, tuple_
from sqlmodel import col

from core.models import (
    Branch,
    Doctor,
    DoctorLanguage,
    DoctorService,
    DoctorSpecialty,
    Occupancy,
    Slot,
)
from core.schedule.occupancy import DOCTOR, live

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
        .join(Doctor, col(Doctor.id) == col(Slot.doctor_id))
        .where(
            col(Slot.start_at) >= bindparam("low"),
            col(Slot.start_at) < bindparam("high"),
            col(Doctor.active).is_(True),
        )
        .order_by(col(Slot.start_at), col(Slot.doctor_id))
        .limit(bindparam("batch"))
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
    if shape.service:
        stmt = stmt.where(
            exists().where(
                col(DoctorService.doctor_id) == col(Slot.doctor_id),
                col(DoctorService.service_id) == bindparam("service_id"),
            )
        )
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
                and_(
                    col(DoctorLanguage.doctor_id) == col(Slot.doctor_id),
                    col(DoctorLanguage.language) == bindparam("language"),
                )
            )
        )
    # Last, so the cheap filters above run first: prune slots whose first cell is
    # taken (SQLite tests correlated terms in order); later cells are settled per batch.
    return stmt.where(
        ~exists().where(
            col(Occupancy.resource_kind) == DOCTOR,
            col(Occupancy.resource_id) == col(Slot.doctor_id),
            col(Occupancy.cell_at) == col(Slot.start_at),
            live(bindparam("now")),
        )
    )


# A visit longer than its first slot: the same doctors' slots over the batch's span.
FOLLOWING_SLOTS = select(
    col(Slot.doctor_id),
    col(Slot.branch_id),
    col(Slot.start_at),
    col(Slot.end_at),
    col(Slot.availability),
).where(
    col(Slot.doctor_id).in_(bindparam("doctors", expanding=True)),
    col(Slot.start_at) >= bindparam("start"),
    col(Slot.start_at) < bindparam("end"),
)
