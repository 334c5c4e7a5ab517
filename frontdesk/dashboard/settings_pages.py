"""The clinic's settings as the desk reads them: services with their restrictions, and the
reminder rules with a preview of a template filled in as a patient would receive it."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.errors import NotFound, TemplateInvalid
from core.message_templates import LANGUAGES, check, date_and_time, render
from core.reminders import ReminderRules
from core.vocab import StaffRole
from frontdesk import keys
from frontdesk.dashboard import forms
from frontdesk.dashboard.access import member_of
from frontdesk.dashboard.desk import Desk
from frontdesk.dashboard.render import language_of, page

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
# The preview's visit: tomorrow at 10:00 UTC, in the first branch.
PREVIEW_AHEAD = timedelta(days=1)


async def services(request: web.Request) -> web.Response:
    member = await member_of(request)
    catalog = Desk.of(request).catalog
    return page(request, "services.html", member=member, services=await catalog.services())


async def reminders(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    rules = await _rules(request).all()
    return page(
        request,
        "reminders.html",
        member=member,
        rules=sorted(rules, key=lambda r: r.id or 0),
        template_languages=LANGUAGES,
        preview=None,
    )


async def preview(request: web.Request) -> web.Response:
    """`POST /staff/reminders/{id}/preview` (language, text): the text as a patient would
    read it, with sample values; or what is wrong with it. Nothing is saved."""
    member = await member_of(request, *DESK)
    rule_id = forms.path_id(request.match_info["id"])
    values = await forms.posted(request)
    language = values.get("language", "")
    if language not in LANGUAGES:
        language = language_of(request)
    text = forms.text(values, "text", 2000)
    rules = sorted(await _rules(request).all(), key=lambda r: r.id or 0)
    if not any(r.id == rule_id for r in rules):
        raise NotFound("no such rule")
    try:
        shown, problem = (
            render(check({language: text}), language, await _sample(request, language)),
            None,
        )
    except TemplateInvalid as error:
        shown, problem = None, error.message
    return page(
        request,
        "reminders.html",
        member=member,
        rules=rules,
        template_languages=LANGUAGES,
        preview={
            "rule_id": rule_id,
            "language": language,
            "text": text,
            "shown": shown,
            "problem": problem,
        },
    )


def _rules(request: web.Request) -> ReminderRules:
    return ReminderRules(request.app[keys.DATABASE], request.app[keys.CLOCK])


async def _sample(request: web.Request, language: str) -> dict[str, str]:
    """Values for the preview from the clinic's own data: its name, first branch, doctor
    and service; a visit tomorrow."""
    desk = Desk.of(request)
    branches = await desk.catalog.branches()
    doctors = await desk.catalog.doctors()
    offered = await desk.catalog.services()
    at = desk.clock.now() + PREVIEW_AHEAD
    branch = branches[0] if branches else None
    return {
        "first_name": "Anna",
        "clinic": await desk.catalog.clinic_name(),
        "branch": branch.name if branch else "",
        "address": f"{branch.address}, {branch.city}" if branch else "",
        "phone": branch.phone if branch else "",
        "doctor": f"{doctors[0].first_name} {doctors[0].last_name}" if doctors else "",
        "specialty": "",
        "service": offered[0].name if offered else "",
        **date_and_time(at, branch.timezone if branch else "UTC", language),
    }
