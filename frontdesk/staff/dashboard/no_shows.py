"""The no-show report: visits whose patient did not come, counted per doctor, service and
the channel the visit was booked through, against the visits that were due, for a period
of the member's branches (a doctor's own visits); through `core.desk.no_shows`."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.errors import InvalidInput
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk, local_day, today_in
from frontdesk.staff.dashboard.render import language_of, page

DEFAULT_DAYS = 30
MAX_DAYS = 366


async def report(request: web.Request) -> web.Response:
    """`GET /staff/no-shows?from=&to=&branch=`: the last 30 days by default."""
    member = await member_of(request)
    desk = Desk.of(request)
    branches = await desk.branches(member.scope)
    branch_id = forms.optional_id(request.query, "branch")
    zone = next((b.timezone for b in branches if b.id == branch_id), None) or (
        branches[0].timezone if branches else "UTC"
    )
    last = forms.optional_date(request.query, "to") or today_in(desk.clock, zone)
    first = forms.optional_date(request.query, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if not timedelta(0) <= last - first < timedelta(days=MAX_DAYS):
        raise InvalidInput(f"a period of 1 to {MAX_DAYS} days", field="from")
    if branch_id is not None and branch_id not in {b.id for b in branches}:
        raise InvalidInput("not one of your branches", field="branch")
    found = await request.app[keys.SERVICES].no_shows.report(
        member.scope,
        local_day(first, zone)[0],
        local_day(last, zone)[1],
        branch_ids=None if branch_id is None else frozenset({branch_id}),
    )
    language = language_of(request)
    return page(
        request,
        "no_shows.html",
        member=member,
        report=found,
        first=first,
        last=last,
        branch_id=branch_id,
        branches=branches,
        doctors=await desk.catalog.doctor_names(language),
        services=await desk.catalog.service_names(language),
    )
