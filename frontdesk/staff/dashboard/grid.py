"""The booking grid: a branch's day (or week), doctors as columns, in 5-minute cells.

A free time leads to the booking form: a patient found (name, phone, PESEL, date of
birth) or registered there and then, and a service the doctor performs; the visit is
booked through `StaffBookings.book`, the core operation every channel uses, as the
member. With `?move=<visit>` the same grid picks a visit's new time, confirmed on its
own page. `?patient=<card>` carries a chosen patient through (the card's "book a
visit", a callback's "book for this caller"): keep these parameters stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from core.booking.placement import VisitRequest
from core.clinic.names import local_name
from core.desk.booking_grid import DayGrid
from core.desk.bookings import DESK
from core.errors import DomainError, InvalidInput, NotFound
from core.models import Branch, Doctor, Patient, Service
from core.patients.cards import PatientDraft
from core.vocab import ContactKind, Sex
from edge.i18n import LANGUAGES
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, member_of
from frontdesk.staff.dashboard.desk import Desk, local_day, today_in
from frontdesk.staff.dashboard.patient_lookup import look_up
from frontdesk.staff.dashboard.render import language_of, page

VIEWS = ("day", "week")
WEEK_CHOICES = 6  # free times listed per doctor and day in the week view


@dataclass(frozen=True)
class Carry:
    """What the grid's links carry from page to page: the chosen patient or the visit
    being moved."""

    patient: Patient | None = None
    move: int | None = None

    def query(self) -> dict[str, int]:
        if self.move is not None:
            return {"move": self.move}
        if self.patient is not None and self.patient.id is not None:
            return {"patient": self.patient.id}
        return {}

    def pick(self, doctor_id: int, start: datetime) -> str:
        """Where a free time leads: the booking form, or the move's confirmation."""
        params: dict[str, Any] = {"doctor": doctor_id, "start": start.isoformat()}
        if self.move is not None:
            return f"/staff/grid/move?{urlencode(params | {'booking': self.move})}"
        return f"/staff/grid/book?{urlencode(params | self.query())}"


async def grid(request: web.Request) -> web.Response:
    """`GET /staff/grid?branch=&day=&view=day|week&patient=&move=`."""
    member = await member_of(request)
    desk = Desk.of(request)
    q = request.query
    branches = await desk.branches(member.scope)
    carry = await _carry(request, member, q)
    if not branches:
        return page(request, "grid.html", member=member, branch=None, carry=carry)
    wanted = forms.optional_id(q, "branch")
    branch = next((b for b in branches if b.id == wanted), branches[0])
    view = q.get("view", "day") if q.get("view", "day") in VIEWS else "day"
    day = forms.optional_date(q, "day") or today_in(desk.clock, branch.timezone)
    days = [day] if view == "day" else [day - timedelta(days=day.weekday() - n) for n in range(7)]
    grids = [(d, await _day_grid(request, member, branch, d)) for d in days]
    doctors = _doctors_of(g for _, g in grids)
    week = [(d, [week_cell(g, doctor) for doctor in doctors]) for d, g in grids]
    step = timedelta(days=1 if view == "day" else 7)
    empty = all(not g.rows for _, g in grids)
    return page(
        request,
        "grid.html",
        member=member,
        branch=branch,
        branches=branches,
        view=view,
        day=day,
        grids=grids,
        week=week,
        doctors=doctors,
        carry=carry,
        around={"previous": day - step, "next": day + step},
        next_working=await _next_working(request, member, branch, days[-1]) if empty else None,
        link=lambda **changes: _grid_link(branch, carry, **({"view": view, "day": day} | changes)),
        may_book=member.scope.role in DESK,
    )


@dataclass(frozen=True)
class WeekCell:
    """A doctor's day in the week view: the first free times, how many more, the visits."""

    free: list[datetime]
    more: int
    visits: int


def week_cell(day: DayGrid, doctor: Doctor) -> WeekCell | None:
    """None when the doctor does not work at the branch that day."""
    index = next((i for i, d in enumerate(day.doctors) if d.id == doctor.id), None)
    if index is None:
        return None
    free = day.free_starts(index)
    return WeekCell(free[:WEEK_CHOICES], max(0, len(free) - WEEK_CHOICES), day.visits(index))


async def book_form(request: web.Request) -> web.Response:
    """`GET /staff/grid/book?doctor=&start=&patient=&q=`: who, and for what."""
    member = await member_of(request, *DESK)
    q = request.query
    return await _book_page(
        request, member, q, carry=await _carry(request, member, q), values={}, problem=None
    )


async def book(request: web.Request) -> web.Response:
    """`POST /staff/grid/book`: register the new patient if there is one, then book."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    services = request.app[keys.SERVICES]
    doctor_id = forms.required_id(values, "doctor")
    start_at = read_start(values)
    service_id = forms.required_id(values, "service")
    patient_id = forms.optional_id(values, "patient")
    try:
        if patient_id is None:
            patient = await services.patients.register(new_patient(values))
            assert patient.id is not None
            patient_id = patient.id
        booking = await Desk.of(request).bookings.book(
            member.scope, VisitRequest(patient_id, service_id, doctor_id, start_at)
        )
    except DomainError as error:
        # The form again, with what was typed; a card just made is kept and chosen.
        retry = dict(values) | ({"patient": str(patient_id)} if patient_id else {})
        carry = await _carry(request, member, retry)
        return await _book_page(request, member, retry, carry=carry, values=values, problem=error)
    raise web.HTTPSeeOther(f"/staff/bookings/{booking.id}")


async def move_confirm(request: web.Request) -> web.Response:
    """`GET /staff/grid/move?booking=&doctor=&start=`: the visit now and where it would go."""
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    q = request.query
    row = await desk.bookings.get(
        member.scope, forms.required_id(q, "booking"), language_of(request)
    )
    doctor = await _doctor(request, forms.required_id(q, "doctor"))
    return page(
        request,
        "grid_move.html",
        member=member,
        row=row,
        doctor=doctor,
        start=read_start(q),
        back=_grid_link(
            None,
            Carry(move=row.booking.id),
            view="day",
            day=read_start(q).astimezone(ZoneInfo(row.timezone)).date(),
        ),
    )


async def move(request: web.Request) -> web.Response:
    """`POST /staff/grid/move` (booking, doctor, start): the confirmed move."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    booking_id = forms.required_id(values, "booking")
    await Desk.of(request).bookings.move(
        member.scope,
        booking_id,
        doctor_id=forms.required_id(values, "doctor"),
        start_at=read_start(values),
    )
    raise web.HTTPSeeOther(f"/staff/bookings/{booking_id}")


def read_start(values: Any) -> datetime:
    try:
        start_at = datetime.fromisoformat(forms.text(values, "start", 40))
    except ValueError:
        raise InvalidInput("start must be a time", field="start") from None
    if start_at.tzinfo is None:
        raise InvalidInput("start must carry its zone", field="start")
    return start_at


def new_patient(values: dict[str, str]) -> PatientDraft:
    """The card typed into the booking form; names required, the rest checked by the core."""
    phone = forms.text(values, "phone", 30)
    return PatientDraft(
        first_name=forms.text(values, "first_name", 100),
        last_name=forms.text(values, "last_name", 100),
        birth_date=forms.optional_date(values, "birth_date"),
        sex=forms.optional_choice(values, "sex", Sex),
        pesel=forms.text(values, "pesel", 11) or None,
        language=values.get("language", "pl") if values.get("language") in LANGUAGES else "pl",
        contacts={ContactKind.PHONE: phone} if phone else {},
    )


async def _book_page(
    request: web.Request,
    member: Member,
    q: Any,
    *,
    carry: Carry,
    values: dict[str, str],
    problem: DomainError | None,
) -> web.Response:
    desk = Desk.of(request)
    services = request.app[keys.SERVICES]
    doctor = await _doctor(request, forms.required_id(q, "doctor"))
    start = read_start(q)
    assert doctor.id is not None
    offered = await desk.catalog.services_of(doctor.id)
    branch_id = await desk.bookings.branch_at(doctor.id, start)
    branch = await desk.catalog.branch(branch_id)
    member.scope.check_branch(branch_id)
    search = forms.text(q, "q", 100)
    found = await look_up(services.records, search) if search and carry.patient is None else None
    return page(
        request,
        "grid_book.html",
        status=200 if problem is None else 409 if problem.code == "slot_taken" else 400,
        member=member,
        doctor=doctor,
        start=start,
        branch=branch,
        services=offered,
        chosen_service=forms.optional_id(q, "service"),
        carry=carry,
        search=search,
        found=found,
        values=values,
        problem=problem,
        sexes=list(Sex),
        service_name=lambda s: service_name(s, request),
        back=_grid_link(
            branch, carry, view="day", day=start.astimezone(ZoneInfo(branch.timezone)).date()
        ),
    )


def service_name(service: Service, request: web.Request) -> str:
    """The service's name in the member's language, else its Polish name."""
    return local_name(service, language_of(request))


async def _carry(request: web.Request, member: Member, q: Any) -> Carry:
    moving = forms.optional_id(q, "move")
    if moving is not None:
        await Desk.of(request).bookings.get(member.scope, moving)  # in scope, or not found
        return Carry(move=moving)
    patient_id = forms.optional_id(q, "patient")
    if patient_id is None:
        return Carry()
    return Carry(patient=await request.app[keys.SERVICES].patients.get(patient_id))


async def _day_grid(request: web.Request, member: Member, branch: Branch, day: date) -> DayGrid:
    desk = Desk.of(request)
    start, end = local_day(day, branch.timezone)
    assert branch.id is not None
    return await request.app[keys.SERVICES].booking_grid.day(
        member.scope, branch.id, start, end, desk.clock.now(), language_of(request)
    )


async def _next_working(
    request: web.Request, member: Member, branch: Branch, after: date
) -> date | None:
    """The next local day after `after` on which a doctor works at the branch."""
    _, end = local_day(after, branch.timezone)
    assert branch.id is not None
    first = await request.app[keys.SERVICES].booking_grid.next_working(member.scope, branch.id, end)
    return first.astimezone(ZoneInfo(branch.timezone)).date() if first else None


def _doctors_of(grids: Any) -> list[Doctor]:
    seen: dict[int | None, Doctor] = {}
    for g in grids:
        for d in g.doctors:
            seen.setdefault(d.id, d)
    return sorted(seen.values(), key=lambda d: (d.last_name, d.first_name))


async def _doctor(request: web.Request, doctor_id: int) -> Doctor:
    for doctor in await Desk.of(request).catalog.doctors():
        if doctor.id == doctor_id:
            return doctor
    raise NotFound("no such doctor")


def _grid_link(branch: Branch | None, carry: Carry, *, view: str, day: date, **more: Any) -> str:
    """The grid at another day, view or visit to move, keeping what it carries."""
    params: dict[str, Any] = {"view": view, "day": day.isoformat()}
    if branch is not None:
        params["branch"] = branch.id
    params |= carry.query() | more
    return f"/staff/grid?{urlencode(params)}"
