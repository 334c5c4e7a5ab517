"""The waiting list, and the schedules: weekly templates with the conflicts a regeneration
left (booked visits their doctor's new schedule no longer covers), each in the member's
scope (`core.desk.lists`)."""

from __future__ import annotations

from aiohttp import web

from core.desk.bookings import DESK
from core.vocab import WaitlistStatus
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import language_of, page

PAGE_SIZE = 50
STILL_WAITING = frozenset({WaitlistStatus.WAITING, WaitlistStatus.OFFERED})


async def waitlist(request: web.Request) -> web.Response:
    """`GET /staff/waitlist`: who still waits, the longest waiting first."""
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    offset = forms.optional_id(request.query, "offset") or 0
    found = await request.app[keys.SERVICES].lists.waitlist(
        member.scope, STILL_WAITING, limit=PAGE_SIZE, offset=offset
    )
    return page(
        request,
        "waitlist.html",
        member=member,
        entries=found.items,
        has_more=found.has_more,
        offset=offset,
        page_size=PAGE_SIZE,
        patients=await request.app[keys.SERVICES].patients.names(e.patient_id for e in found.items),
        doctors=await desk.catalog.doctor_names(language_of(request)),
        services=await desk.catalog.service_names(language_of(request)),
        branches=await desk.catalog.branch_names(language_of(request)),
        zone=await desk.zone(),
    )


async def schedules(request: web.Request) -> web.Response:
    """`GET /staff/schedules`: the weekly templates, and the conflicts still to resolve."""
    member = await member_of(request)
    desk = Desk.of(request)
    lists = request.app[keys.SERVICES].lists
    templates = await lists.templates(
        member.scope, doctor_ids=None, branch_ids=None, limit=200, offset=0
    )
    conflicts = await lists.conflicts(member.scope, resolved=False, limit=PAGE_SIZE, offset=0)
    return page(
        request,
        "schedules.html",
        member=member,
        templates=templates.items,
        more_templates=templates.has_more,
        conflicts=conflicts.items,
        doctors=await desk.catalog.doctor_names(language_of(request)),
        branches={b.id: b for b in await desk.catalog.branches()},
        zone=await desk.zone(),
    )
