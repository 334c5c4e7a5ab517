"""Today: the day's visits of a branch, doctor by doctor, with their statuses; the desk
marks arrivals (and the doctor the visit's progress) from here."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from aiohttp import web

from core.desk.booking_search import BookingFilter, BookingRow
from core.desk.bookings import DOCTOR_STATUSES, status_due
from core.desk.scope import StaffScope
from core.vocab import STATUS_FLOW, BookingStatus, StaffRole
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk, local_day, today_in
from frontdesk.staff.dashboard.render import language_of, page

DAY_LIMIT = 200


async def today(request: web.Request) -> web.Response:
    member = await member_of(request)
    desk = Desk.of(request)
    branches = await desk.branches(member.scope)
    if not branches:
        return page(request, "today.html", member=member, branch=None, branches=[], groups=[])
    wanted = forms.optional_id(request.query, "branch")
    branch = next((b for b in branches if b.id == wanted), branches[0])
    day = forms.optional_date(request.query, "day") or today_in(desk.clock, branch.timezone)
    start, end = local_day(day, branch.timezone)
    assert branch.id is not None
    found = await desk.bookings.find(
        member.scope,
        BookingFilter(start=start, end=end, branch_ids=frozenset({branch.id})),
        limit=DAY_LIMIT,
        offset=0,
        language=language_of(request),
    )
    rows = sorted(found.rows, key=lambda r: (r.doctor_name, r.booking.start_at))
    groups = [(name, list(visits)) for name, visits in groupby(rows, key=lambda r: r.doctor_name)]
    return page(
        request,
        "today.html",
        member=member,
        branch=branch,
        branches=branches,
        day=day,
        groups=groups,
        truncated=found.has_more,
        next_statuses=lambda row: next_statuses(member.scope, row, desk.clock.now()),
    )


def next_statuses(scope: StaffScope, row: BookingRow, now: datetime) -> list[BookingStatus]:
    """The statuses this member may set on the visit now, in the order of a visit."""
    allowed = DOCTOR_STATUSES if scope.role is StaffRole.DOCTOR else frozenset(BookingStatus)
    b = row.booking
    return [
        s
        for s in BookingStatus
        if s in STATUS_FLOW[b.status]
        and s in allowed
        and status_due(s, b.start_at, row.timezone, now)
    ]


async def set_status(request: web.Request) -> web.Response:
    """`POST /staff/bookings/{id}/status`: arrived, no-show, in progress, completed."""
    member = await member_of(request)
    values = await forms.posted(request)
    status = forms.required_choice(values, "status", BookingStatus)
    booking_id = forms.path_id(request.match_info["id"])
    await Desk.of(request).bookings.set_status(member.scope, booking_id, status)
    raise web.HTTPSeeOther(forms.back_to(values, f"/staff/bookings/{booking_id}"))
