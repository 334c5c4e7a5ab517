"""The inbox: conversations the machine handed to the desk, those of the member's branches
(and of none). A case's page shows the transcript and links the patient's card; the desk
takes it, replies, in its own words or with a ready reply in the patient's language (the
patient's channel delivers the reply from the outbox), and closes it. The list refreshes
itself from a server-sent event stream."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from core.vocab import StaffRole
from edge.i18n import Texts
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, accounts, member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import language_of, page

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
# The stream polls the database, so a case opened by any process shows within this time.
POLL_SECONDS = 2.0
# A comment line this often keeps proxies from closing an idle stream.
KEEPALIVE_SECONDS = 20.0
# Then the stream ends and the browser reconnects, its session checked afresh (a member
# logged out or deactivated stops hearing within this time).
STREAM_SECONDS = 600.0
STOP_STREAMS = web.AppKey("dashboard_stop_streams", asyncio.Event)


async def inbox(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    return page(request, "inbox.html", member=member, **await _listing(request, member))


async def inbox_list(request: web.Request) -> web.Response:
    """The list alone, for the page's script to swap in when the stream says it changed."""
    member = await member_of(request, *DESK)
    return page(request, "inbox_list.html", member=member, **await _listing(request, member))


async def _listing(request: web.Request, member: Member) -> dict[str, Any]:
    desk = Desk.of(request)
    items = await desk.inbox.cases(member.scope)
    names = await accounts(request).display_names(i.case.taken_by for i in items if i.case.taken_by)
    return {
        "items": items,
        "names": names,
        "zone": await desk.zone(),
        "branches": await desk.catalog.branch_names(language_of(request)),
    }


async def events(request: web.Request) -> web.StreamResponse:
    """`GET /staff/inbox/events`: an event each time the inbox changes (text/event-stream)."""
    await member_of(request, *DESK)
    inbox = Desk.of(request).inbox
    stop = request.app[STOP_STREAMS]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    seen = await inbox.stamp()
    await response.write(f"retry: 3000\nevent: stamp\ndata: {seen}\n\n".encode())
    quiet = 0.0
    until = asyncio.get_running_loop().time() + STREAM_SECONDS
    with contextlib.suppress(ConnectionResetError):
        while not stop.is_set() and asyncio.get_running_loop().time() < until:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
            if stop.is_set():
                break
            stamp = await inbox.stamp()
            if stamp != seen:
                seen, quiet = stamp, 0.0
                await response.write(f"event: changed\ndata: {stamp}\n\n".encode())
            else:
                quiet += POLL_SECONDS
                if quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    await response.write(b": keep-alive\n\n")
    return response


async def stop_streams(app: web.Application) -> None:
    """On shutdown, end the open streams at once rather than wait for them to time out."""
    app[STOP_STREAMS].set()


async def case(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    desk = Desk.of(request)
    case_id = forms.path_id(request.match_info["id"])
    found = await desk.inbox.case(member.scope, case_id)
    transcript = await request.app[keys.SERVICES].escalation.transcript(case_id)
    names = await accounts(request).display_names(
        m.staff_login for m in transcript if m.staff_login
    )
    if found.case.taken_by:
        names |= await accounts(request).display_names([found.case.taken_by])
    branches = await desk.catalog.branch_names(language_of(request))
    return page(
        request,
        "case.html",
        member=member,
        item=found,
        transcript=transcript,
        names=names,
        zone=await desk.zone(),
        link_services=await desk.catalog.services(),
        branch=branches.get(found.case.branch_id) if found.case.branch_id else None,
        canned=canned_replies(Texts(found.case.language)),
    )


def canned_replies(texts: Texts) -> list[str]:
    """Ready replies, in the patient's language (`texts`), for what the desk often says."""
    _ = texts._
    return [
        _("Thank you for your message. A registrar is looking into it and will answer here."),
        _("Please give me a moment: I am checking the schedule."),
        _("Your visit is booked. You will receive a reminder the day before."),
        _("Please call the clinic's registration desk so that we can settle this by phone."),
        _("Thank you, we have settled everything. Have a good day!"),
    ]


async def _own_case(request: web.Request) -> tuple[Member, int]:
    """The member and the case of the URL, if the case is in their scope (else 404)."""
    member = await member_of(request, *DESK)
    case_id = forms.path_id(request.match_info["id"])
    await Desk.of(request).inbox.case(member.scope, case_id)
    return member, case_id


async def take(request: web.Request) -> web.Response:
    member, case_id = await _own_case(request)
    await request.app[keys.SERVICES].escalation.take(case_id, member.scope.login)
    raise web.HTTPSeeOther(f"/staff/inbox/{case_id}")


async def reply(request: web.Request) -> web.Response:
    member, case_id = await _own_case(request)
    values = await forms.posted(request)
    await request.app[keys.SERVICES].escalation.reply(
        case_id, member.scope.login, forms.text(values, "text")
    )
    raise web.HTTPSeeOther(f"/staff/inbox/{case_id}")


async def close(request: web.Request) -> web.Response:
    _member, case_id = await _own_case(request)
    await request.app[keys.SERVICES].escalation.close(case_id)
    raise web.HTTPSeeOther("/staff/inbox")
