"""The reminder rules as the desk reads them, with a preview of a template filled in as a
patient would receive it (the services: `catalog_names`)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from core.errors import NotFound, TemplateInvalid
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.messaging.templates import LANGUAGES, MAX_TEMPLATE_CHARS, check, date_and_time, render
from core.models import ReminderRule
from core.vocab import StaffRole
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import language_of, page

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
# The preview's visit: tomorrow at 10:00 UTC, in the first branch.
PREVIEW_AHEAD = timedelta(days=1)
# The English names the default rules are stored under: the page says those rules in the
# member's language instead (`labels.rule_name`); a name the clinic gave is shown as well.
DEFAULT_NAMES = frozenset(d.name for d in default_rules())


async def reminders(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    rules = await _rules(request).all()
    return page(
        request,
        "reminders.html",
        member=member,
        rules=sorted(rules, key=lambda r: r.id or 0),
        template_languages=LANGUAGES,
        default_names=DEFAULT_NAMES,
        preview=None,
    )


async def preview(request: web.Request) -> web.Response:
    """`POST /staff/reminders/{id}/preview` (language, text): the text as a patient would
    read it, with sample values; or what is wrong with it. Nothing is saved."""
    member = await member_of(request, *DESK)
    rule, language, text = await _edited(request)
    try:
        shown = render(check({language: text}), language, await _sample(request, language))
    except TemplateInvalid as error:
        return await _listing(request, member, rule.id, language, text, problem=error.message)
    return await _listing(request, member, rule.id, language, text, shown=shown)


async def save(request: web.Request) -> web.Response:
    """`POST /staff/reminders/{id}/save` (language, text), admins only: the rule's text in
    that language replaced, once it checks; its other languages kept."""
    member = await member_of(request, StaffRole.ADMIN)
    rule, language, text = await _edited(request)
    assert rule.id is not None
    try:
        await _rules(request).set_templates(rule.id, {**rule.templates, language: text})
    except TemplateInvalid as error:
        return await _listing(request, member, rule.id, language, text, problem=error.message)
    raise web.HTTPSeeOther(f"/staff/reminders#rule-{rule.id}")


async def _edited(request: web.Request) -> tuple[ReminderRule, str, str]:
    """The rule of the URL, and the language and text the form holds."""
    rule_id = forms.path_id(request.match_info["id"])
    values = await forms.posted(request)
    language = values.get("language", "")
    if language not in LANGUAGES:
        language = language_of(request)
    rule = next((r for r in await _rules(request).all() if r.id == rule_id), None)
    if rule is None:
        raise NotFound("no such rule")
    return rule, language, forms.text(values, "text", MAX_TEMPLATE_CHARS)


async def _listing(
    request: web.Request,
    member: Member,
    rule_id: int | None,
    language: str,
    text: str,
    *,
    shown: str | None = None,
    problem: str | None = None,
) -> web.Response:
    """The rules' page with one rule's form as it was sent, and its preview or problem."""
    return page(
        request,
        "reminders.html",
        member=member,
        rules=sorted(await _rules(request).all(), key=lambda r: r.id or 0),
        template_languages=LANGUAGES,
        default_names=DEFAULT_NAMES,
        preview={
            "rule_id": rule_id,
            "language": language,
            "text": text,
            "shown": shown,
            "problem": problem,
        },
    )


def _rules(request: web.Request) -> ReminderRules:
    return request.app[keys.SERVICES].reminder_rules


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
