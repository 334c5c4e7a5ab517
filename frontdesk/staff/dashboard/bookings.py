"""Bookings: the search grid, a booking's page with its patient and change history, moving
it to a free slot (24 times a page, more on asking, then a confirmation), cancelling it,
and the trash from which cancelled visits are restored.

Every read and change goes through `StaffBookings` with the member's scope: a
booking outside it is "not found", a new time outside it "forbidden".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from aiohttp import web

from core.desk.booking_search import BookingFilter
from core.desk.bookings import DESK
from core.errors import InvalidInput, NotFound
from core.patients.cards import age_on
from core.schedule.search import SlotQuery
from core.vocab import BookingStatus, Channel
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk, local_day, today_in
from frontdesk.staff.dashboard.render import language_of, page
from frontdesk.staff.dashboard.today import next_statuses

PAGE_SIZE = 25
MOVE_CHOICES = 24  # free times a page shows; "more" shows as many again
MAX_MOVE_CHOICES = 240
MOVE_WINDOW = timedelta(days=30)


async def search(request: web.Request) -> web.Response:
    """`GET /staff/bookings`: the grid, filtered by whatever the form holds."""
    member = await member_of(request)
    desk = Desk.of(request)
    q = request.query
    branches = await desk.branches(member.scope)
    branch_id = forms.optional_id(q, "branch")
    doctor_id = forms.optional_id(q, "doctor")
    # Dates are read in the chosen branch's zone (else the member's first branch's).
    zone = next((b.timezone for b in branches if b.id == branch_id), None) or (
        branches[0].timezone if branches else "UTC"
    )
    first, last = forms.optional_date(q, "from"), forms.optional_date(q, "to")
    status = forms.optional_choice(q, "status", BookingStatus)
    offset = forms.optional_id(q, "offset") or 0
    query = BookingFilter(
        patient=forms.text(q, "patient", 100) or None,
        phone=forms.text(q, "phone", 30) or None,
        start=local_day(first, zone)[0] if first else None,
        end=local_day(last, zone)[1] if last else None,
        doctor_ids=None if doctor_id is None else frozenset({doctor_id}),
        branch_ids=None if branch_id is None else frozenset({branch_id}),
        statuses=None if status is None else frozenset({status}),
    )
    found = await desk.bookings.find(
        member.scope, query, limit=PAGE_SIZE, offset=offset, language=language_of(request)
    )
    return page(
        request,
        "bookings.html",
        member=member,
        rows=found.rows,
        has_more=found.has_more,
        offset=offset,
        page_size=PAGE_SIZE,
        query=dict(q),
        branches=branches,
        doctors=await desk.doctors(member.scope),
        statuses=list(BookingStatus),
    )


async def booking(request: web.Request) -> web.Response:
    """`GET /staff/bookings/{id}`: the visit, its patient's contacts and its history."""
    member = await member_of(request)
    desk = Desk.of(request)
    booking_id = forms.path_id(request.match_info["id"])
    row = await desk.bookings.get(member.scope, booking_id, language_of(request))
    patients = request.app[keys.SERVICES].patients
    patient = await patients.get(row.booking.patient_id)
    return page(
        request,
        "booking.html",
        member=member,
        row=row,
        patient=patient,
        age=age_on(patient.birth_date, today_in(desk.clock, row.timezone))
        if patient.birth_date
        else None,
        history=await desk.bookings.history(member.scope, booking_id),
        doctors=await desk.catalog.doctor_names(language_of(request)),
        contacts=await patients.contacts(row.booking.patient_id),
        next_statuses=next_statuses(member.scope, row, desk.clock.now()),
        can_change=member.scope.role in DESK,
        now=desk.clock.now(),
    )


async def move_choices(request: web.Request) -> web.Response:
    """`GET /staff/bookings/{id}/move?day=&branch=`: free slots for the same service."""
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    booking_id = forms.path_id(request.match_info["id"])
    row = await desk.bookings.get(member.scope, booking_id, language_of(request))
    day = forms.optional_date(request.query, "day") or today_in(desk.clock, row.timezone)
    branches = await desk.branches(member.scope)
    branch_id = forms.optional_id(request.query, "branch") or row.booking.branch_id
    if branch_id not in {b.id for b in branches}:
        raise NotFound("no such branch")
    shown = min(forms.optional_id(request.query, "shown") or MOVE_CHOICES, MAX_MOVE_CHOICES)
    start = max(local_day(day, row.timezone)[0], desk.clock.now())
    slots = await request.app[keys.SERVICES].search.find(
        SlotQuery(
            channel=Channel.STAFF,
            service_id=row.booking.service_id,
            branch_id=branch_id,
            start=start,
            end=start + MOVE_WINDOW,
            limit=shown + 1,
        )
    )
    return page(
        request,
        "move.html",
        member=member,
        row=row,
        day=day,
        branch_id=branch_id,
        branches=branches,
        slots=slots[:shown],
        more=shown + MOVE_CHOICES if len(slots) > shown and shown < MAX_MOVE_CHOICES else None,
        doctors=await desk.catalog.doctor_names(language_of(request)),
    )


async def confirm_move(request: web.Request) -> web.Response:
    """`GET /staff/bookings/{id}/move/confirm?doctor=&start=`: the move said in full, to be
    confirmed (or not) before anything changes."""
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    row = await desk.bookings.get(
        member.scope, forms.path_id(request.match_info["id"]), language_of(request)
    )
    doctor_id = forms.required_id(request.query, "doctor")
    doctors = await desk.catalog.doctor_names(language_of(request))
    if doctor_id not in doctors:
        raise NotFound("no such doctor")
    return page(
        request,
        "move_confirm.html",
        member=member,
        row=row,
        doctor_id=doctor_id,
        doctor=doctors[doctor_id],
        start_at=_start(request.query),
        back=f"/staff/bookings/{row.booking.id}/move",
    )


async def move(request: web.Request) -> web.Response:
    """`POST /staff/bookings/{id}/move` (doctor, start): to the chosen free slot."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    booking_id = forms.path_id(request.match_info["id"])
    await Desk.of(request).bookings.move(
        member.scope,
        booking_id,
        doctor_id=forms.required_id(values, "doctor"),
        start_at=_start(values),
    )
    raise web.HTTPSeeOther(f"/staff/bookings/{booking_id}")


def _start(values: Mapping[str, str]) -> datetime:
    """The new time a form or link names, with its zone."""
    try:
        start_at = datetime.fromisoformat(forms.text(values, "start", 40))
    except ValueError:
        raise InvalidInput("start must be a time", field="start") from None
    if start_at.tzinfo is None:
        raise InvalidInput("start must carry its zone", field="start")
    return start_at


async def cancel(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    booking_id = forms.path_id(request.match_info["id"])
    await Desk.of(request).bookings.cancel(
        member.scope, booking_id, forms.text(values, "reason", 500)
    )
    raise web.HTTPSeeOther(f"/staff/bookings/{booking_id}")


async def trash(request: web.Request) -> web.Response:
    """`GET /staff/trash`: cancelled visits, the ones still ahead restorable."""
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    offset = forms.optional_id(request.query, "offset") or 0
    found = await desk.bookings.trash(
        member.scope, limit=PAGE_SIZE, offset=offset, language=language_of(request)
    )
    return page(
        request,
        "trash.html",
        member=member,
        rows=found.rows,
        has_more=found.has_more,
        offset=offset,
        page_size=PAGE_SIZE,
        now=desk.clock.now(),
    )


async def restore(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    booking_id = forms.path_id(request.match_info["id"])
    await Desk.of(request).bookings.restore(member.scope, booking_id)
    raise web.HTTPSeeOther(f"/staff/bookings/{booking_id}")
