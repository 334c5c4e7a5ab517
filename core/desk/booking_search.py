"""The desk's search over bookings: by patient name, phone or PESEL, time, doctor, branch,
status and source.

One query serves the search grid, the day's list and the trash: each is a
`BookingFilter`. A filter's doctor and branch sets are what the caller may
see intersected with what was asked (`narrowed`, with a `StaffScope`'s
`doctor_ids` and `branch_ids`), so a form can never widen the scope it was
given. Each row carries the names the grid shows, read in the same statement, in the
reader's language (the doctor's title, the service's and the branch's name; Polish when
there is no translation).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlmodel import col

from core.clinic.names import titled, translated
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.models import Booking, Branch, Doctor, Patient, Service
from core.patients.identity import normalize_pesel
from core.patients.match import name_matches, phone_matches
from core.vocab import BookingStatus, Channel

MAX_LIMIT = 200


@dataclass(frozen=True)
class BookingFilter:
    """Every field optional; `None` sets mean "any", an empty set means "none at all"."""

    patient: str | None = None  # words of the patient's first or last name
    phone: str | None = None  # digits anywhere in one of their phone numbers
    start: datetime | None = None  # visits starting at or after
    end: datetime | None = None  # and before
    doctor_ids: frozenset[int] | None = None
    branch_ids: frozenset[int] | None = None
    statuses: frozenset[BookingStatus] | None = None
    pesel: str | None = None  # the patient's whole PESEL (checked, matched exactly)
    sources: frozenset[Channel] | None = None  # where the booking was made
    patient_id: int | None = None  # one card's visits

    def narrowed(
        self, *, doctor_ids: frozenset[int] | None, branch_ids: frozenset[int] | None
    ) -> BookingFilter:
        """This filter within a scope: the result never reaches outside `doctor_ids` and
        `branch_ids` (None: unrestricted), whatever this filter asked for."""
        return replace(
            self,
            doctor_ids=_meet(self.doctor_ids, doctor_ids),
            branch_ids=_meet(self.branch_ids, branch_ids),
        )


@dataclass(frozen=True)
class BookingRow:
    """A booking with the names the desk reads it by."""

    booking: Booking
    patient_name: str
    doctor_name: str
    service_name: str
    branch_name: str
    timezone: str


@dataclass(frozen=True)
class BookingPage:
    rows: list[BookingRow]
    has_more: bool


class BookingSearch:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(
        self,
        query: BookingFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        language: str = "pl",
    ) -> BookingPage:
        """One page of matching bookings, ordered by start (then doctor), named in
        `language`."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}, offset at least 0")
        conditions = _conditions(query)
        if conditions is None:
            return BookingPage([], has_more=False)
        statement = (
            _rows()
            .where(*conditions)
            .order_by(col(Booking.start_at), col(Booking.doctor_id), col(Booking.id))
            .limit(limit + 1)
            .offset(offset)
        )
        async with self.db.read() as session:
            found = [_row(r, language) for r in (await session.execute(statement)).all()]
        return BookingPage(found[:limit], has_more=len(found) > limit)

    async def one(self, booking_id: int, scope: BookingFilter, language: str = "pl") -> BookingRow:
        """The booking if it exists and matches `scope` (the caller's, from `narrowed`);
        else `NotFound`, so one out of scope looks the same as one that does not exist."""
        conditions = _conditions(scope)
        if conditions is None:
            raise NotFound("no such booking")
        statement = _rows().where(col(Booking.id) == booking_id, *conditions)
        async with self.db.read() as session:
            found = (await session.execute(statement)).first()
        if found is None:
            raise NotFound("no such booking")
        return _row(found, language)


def _meet(asked: frozenset[int] | None, allowed: frozenset[int] | None) -> frozenset[int] | None:
    if allowed is None:
        return asked
    return allowed if asked is None else asked & allowed


def _rows() -> Select[
    Booking, str, str, str, dict[str, str], str, str, str, dict[str, str], str, *tuple[Any, ...]
]:
    return (
        select(
            Booking,
            col(Patient.first_name),
            col(Patient.last_name),
            col(Doctor.title),
            col(Doctor.titles),
            col(Doctor.first_name),
            col(Doctor.last_name),
            col(Service.name),
            col(Service.names),
            col(Branch.name),
            col(Branch.names),
            col(Branch.timezone),
        )
        .join(Patient, col(Patient.id) == col(Booking.patient_id))
        .join(Doctor, col(Doctor.id) == col(Booking.doctor_id))
        .join(Service, col(Service.id) == col(Booking.service_id))
        .join(Branch, col(Branch.id) == col(Booking.branch_id))
    )


def _row(
    found: Row[
        Booking, str, str, str, dict[str, str], str, str, str, dict[str, str], str, *tuple[Any, ...]
    ],
    language: str,
) -> BookingRow:
    booking, p_first, p_last, title, titles, d_first, d_last, service, services, branch = found[:10]
    branches, tz = found[10], found[11]
    return BookingRow(
        booking=booking,
        patient_name=f"{p_first} {p_last}",
        doctor_name=titled(translated(titles, title, language), d_first, d_last),
        service_name=translated(services, service, language),
        branch_name=translated(branches, branch, language),
        timezone=str(tz),
    )


def _conditions(query: BookingFilter) -> list[ColumnElement[bool]] | None:
    """The WHERE clauses of a filter, or None when it cannot match anything."""
    if query.doctor_ids is not None and not query.doctor_ids:
        return None
    if query.branch_ids is not None and not query.branch_ids:
        return None
    if query.statuses is not None and not query.statuses:
        return None
    if query.sources is not None and not query.sources:
        return None
    conditions: list[ColumnElement[bool]] = []
    if query.doctor_ids is not None:
        conditions.append(col(Booking.doctor_id).in_(sorted(query.doctor_ids)))
    if query.branch_ids is not None:
        conditions.append(col(Booking.branch_id).in_(sorted(query.branch_ids)))
    if query.statuses is not None:
        conditions.append(col(Booking.status).in_(sorted(s.value for s in query.statuses)))
    if query.sources is not None:
        conditions.append(col(Booking.source).in_(sorted(s.value for s in query.sources)))
    if query.patient_id is not None:
        conditions.append(col(Booking.patient_id) == query.patient_id)
    if query.pesel:
        conditions.append(col(Patient.pesel) == normalize_pesel(query.pesel))
    if query.start is not None:
        conditions.append(col(Booking.start_at) >= _aware(query.start))
    if query.end is not None:
        conditions.append(col(Booking.start_at) < _aware(query.end))
    if query.patient:
        conditions.extend(name_matches(query.patient))
    if query.phone:
        conditions.append(phone_matches(col(Booking.patient_id), query.phone))
    return conditions


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("a time without its zone")
    return at
