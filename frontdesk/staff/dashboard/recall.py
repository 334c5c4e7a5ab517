"""Booking links from the dashboard: the form any page includes to send one to a card, a
callback request's number or a case (`_booking_link.html`), and recall campaigns: a CSV
list uploaded (read by `core.desk.recall_lists`, its unusable rows listed by number), the
latest campaigns, and each one's report of who was sent a link and who booked."""

from __future__ import annotations

from aiohttp import web

from core.desk.bookings import DESK
from core.desk.link_sending import LinkChoice
from core.desk.recall_lists import read_recall_list
from core.errors import InvalidInput
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import page


async def send_link(request: web.Request) -> web.Response:
    """`POST /staff/booking-links` (one of patient_id, callback_id, case_id; service)."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    service = forms.optional_id(values, "service")
    choice = LinkChoice((service,) if service else ())
    desk = request.app[keys.SERVICES].desk_links
    if (patient := forms.optional_id(values, "patient_id")) is not None:
        sent = await desk.to_card(member.scope, patient, choice)
    elif (callback := forms.optional_id(values, "callback_id")) is not None:
        sent = await desk.for_callback(member.scope, callback, choice)
    elif (case := forms.optional_id(values, "case_id")) is not None:
        sent = await desk.for_case(member.scope, case, choice)
    else:
        raise InvalidInput("no one to send the link to")
    return page(
        request,
        "link_sent.html",
        member=member,
        sent=sent,
        back=forms.back_to(values),
        zone=await Desk.of(request).zone(),
    )


async def campaigns(request: web.Request) -> web.Response:
    """`GET /staff/recall`: the latest campaigns and the form that starts one."""
    member = await member_of(request, *DESK)
    return await _campaigns_page(request, member)


async def upload(request: web.Request) -> web.Response:
    """`POST /staff/recall` (multipart: name, file, service): a campaign to the list."""
    member = await member_of(request, *DESK)
    form = await request.post()
    name = form.get("name")
    file = form.get("file")
    service = forms.optional_id({k: v for k, v in form.items() if isinstance(v, str)}, "service")
    if not isinstance(name, str) or not isinstance(file, web.FileField):
        return await _campaigns_page(request, member, problem="no_file", status=400)
    try:
        listed = read_recall_list(file.file.read(2_000_000))
        started = await request.app[keys.SERVICES].desk_links.campaign_for_list(
            member.scope, name, listed.people, LinkChoice((service,) if service else ())
        )
    except InvalidInput as refused:
        return await _campaigns_page(
            request, member, problem=str(refused.details.get("reason", "invalid")), status=400
        )
    return await _report_page(
        request, member, started.campaign_id, rejected=listed.rejected, duplicates=listed.duplicates
    )


async def report(request: web.Request) -> web.Response:
    """`GET /staff/recall/{id}`: who was sent a link, whether it went, who booked."""
    member = await member_of(request, *DESK)
    return await _report_page(request, member, forms.path_id(request.match_info["id"]))


async def _campaigns_page(
    request: web.Request, member: Member, *, problem: str | None = None, status: int = 200
) -> web.Response:
    services = request.app[keys.SERVICES]
    return page(
        request,
        "recall.html",
        status=status,
        member=member,
        campaigns=await services.desk_links.campaigns(member.scope),
        services=await services.catalog.services(),
        problem=problem,
        zone=await Desk.of(request).zone(),
    )


async def _report_page(
    request: web.Request,
    member: Member,
    campaign_id: int,
    *,
    rejected: list[tuple[int, str]] | None = None,
    duplicates: int = 0,
) -> web.Response:
    found = await request.app[keys.SERVICES].desk_links.report(member.scope, campaign_id)
    return page(
        request,
        "recall_report.html",
        member=member,
        report=found,
        rejected=rejected or [],
        duplicates=duplicates,
        zone=await Desk.of(request).zone(),
    )
