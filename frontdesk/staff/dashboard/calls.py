"""What phone calls leave for the desk: the callback queue (the longest waiting first, with
the calls counted and why, the card the number belongs to and a link to book for the
caller; take one, mark it done with what calling back gave, "no answer" putting it back
for later) and the tasks (prescription renewals with what the caller said or recorded,
cards to complete; take, close with a note). Each in the member's branches, through the
core's services."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from aiohttp import web

from core.desk.bookings import DESK
from core.desk.work import may_finish
from core.models.calls import NOTE_CHARS
from core.vocab import CallbackOutcome
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, accounts, member_of
from frontdesk.staff.dashboard.desk import Desk, today_in
from frontdesk.staff.dashboard.render import language_of, page

PAGE_SIZE = 50


async def callbacks(request: web.Request) -> web.Response:
    """`GET /staff/callbacks`: the open requests, the longest waiting first."""
    member = await member_of(request, *DESK)
    offset = forms.optional_id(request.query, "offset") or 0
    found = await request.app[keys.SERVICES].callbacks.queue(
        member.scope, limit=PAGE_SIZE, offset=offset
    )
    return page(
        request,
        "callbacks.html",
        **await _context(request, member, found.items, offset, found.has_more),
        outcomes=list(CallbackOutcome),
        link_services=await request.app[keys.SERVICES].catalog.services(),
    )


async def take_callback(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    request_id = forms.path_id(request.match_info["id"])
    await request.app[keys.SERVICES].callbacks.take(member.scope, request_id)
    raise web.HTTPSeeOther(f"/staff/callbacks#callback-{request_id}")


async def finish_callback(request: web.Request) -> web.Response:
    """`POST /staff/callbacks/{id}/done` (outcome, note)."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    await request.app[keys.SERVICES].callbacks.done(
        member.scope,
        forms.path_id(request.match_info["id"]),
        forms.required_choice(values, "outcome", CallbackOutcome),
        forms.text(values, "note", NOTE_CHARS),
    )
    raise web.HTTPSeeOther("/staff/callbacks")


async def tasks(request: web.Request) -> web.Response:
    """`GET /staff/tasks`: the open tasks, oldest first."""
    member = await member_of(request, *DESK)
    offset = forms.optional_id(request.query, "offset") or 0
    found = await request.app[keys.SERVICES].tasks.listed(
        member.scope, limit=PAGE_SIZE, offset=offset
    )
    return page(
        request,
        "tasks.html",
        **await _context(request, member, found.items, offset, found.has_more),
    )


async def take_task(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    task_id = forms.path_id(request.match_info["id"])
    await request.app[keys.SERVICES].tasks.take(member.scope, task_id)
    raise web.HTTPSeeOther(f"/staff/tasks#task-{task_id}")


async def close_task(request: web.Request) -> web.Response:
    """`POST /staff/tasks/{id}/close` (note)."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    await request.app[keys.SERVICES].tasks.close(
        member.scope,
        forms.path_id(request.match_info["id"]),
        forms.text(values, "note", NOTE_CHARS),
    )
    raise web.HTTPSeeOther("/staff/tasks")


async def _context(
    request: web.Request, member: Member, items: Sequence[Any], offset: int, has_more: bool
) -> dict[str, Any]:
    """A page of callbacks or tasks with the names it shows: cards (the item's own, else
    the one its number belongs to), branches, takers."""
    desk = Desk.of(request)
    services = request.app[keys.SERVICES]
    by_phone = await services.phone_cards.cards(
        i.phone for i in items if i.patient_id is None and i.phone
    )
    zone = await desk.zone()
    return {
        "member": member,
        "items": items,
        "offset": offset,
        "has_more": has_more,
        "page_size": PAGE_SIZE,
        "note_chars": NOTE_CHARS,
        "may_finish": partial(may_finish, member.scope),
        "patients": await services.patients.names(i.patient_id for i in items if i.patient_id),
        "by_phone": {phone: card.id for phone, card in by_phone.items()},
        "phone_names": {
            phone: f"{card.first_name} {card.last_name}" for phone, card in by_phone.items()
        },
        "branches": await desk.catalog.branch_names(language_of(request)),
        "names": await accounts(request).display_names(i.taken_by for i in items if i.taken_by),
        "zone": zone,
        "today": today_in(desk.clock, zone).isoformat(),
        "now": desk.clock.now(),
    }
