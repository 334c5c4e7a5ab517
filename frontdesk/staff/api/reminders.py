"""`/api/v1/reminder-rules`: the clinic's automatic messages and their templates (read by
the desk, changed by an admin)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field

from core.errors import NotFound
from core.messaging.reminder_rules import ReminderRules, RuleDraft
from core.vocab import BookingStatus, CommunicationStatus, PatientEvent, RuleKind
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, LocalTime, Output, Page, Paging, page_of
from frontdesk.staff.api.openapi import ADMIN, DESK, Api, Call

routes = Api()
TAG = "reminders"
Templates = dict[str, str]
TEMPLATES_DOC = "Language (pl, uk, ru, en) to a jinja2 text, e.g. 'Visit {{ date }} {{ time }}'"


class RuleOut(Output):
    id: int
    name: str
    kind: RuleKind
    enabled: bool
    days: int
    minutes: int
    at_local: LocalTime | None
    same_day_only: bool
    status: BookingStatus | None
    service_ids: list[int]
    event: PatientEvent | None
    templates: Templates = Field(description=TEMPLATES_DOC)
    sets_status: CommunicationStatus | None
    with_actions: bool
    created_at: datetime


class RuleList(Page[RuleOut]):
    pass


class NewRule(Input):
    name: str = Field(min_length=1, max_length=100)
    kind: RuleKind
    templates: Templates = Field(description=TEMPLATES_DOC, max_length=4)
    days: int = Field(default=0, ge=0, le=366)
    minutes: int = Field(default=0, ge=0, le=100_000)
    at_local: LocalTime | None = None
    same_day_only: bool = False
    status: BookingStatus | None = None
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    event: PatientEvent | None = None
    sets_status: CommunicationStatus | None = None
    with_actions: bool = False
    enabled: bool = True


class NewTemplates(Input):
    templates: Templates = Field(description=TEMPLATES_DOC, max_length=4)


class Enabled(Input):
    enabled: bool


def rules(request: web.Request) -> ReminderRules:
    return request.app[keys.SERVICES].reminder_rules


async def _rule(request: web.Request, rule_id: int) -> RuleOut:
    for rule in await rules(request).all():
        if rule.id == rule_id:
            return RuleOut.model_validate(rule)
    raise NotFound("no such rule")


@routes.route(
    "GET",
    "/reminder-rules",
    summary="Reminder rules",
    tag=TAG,
    roles=DESK,
    query=Paging,
    response=RuleList,
)
async def list_reminder_rules(call: Call) -> RuleList:
    found = sorted(await rules(call.request).all(), key=lambda r: r.id or 0)
    return page_of(RuleList, [RuleOut.model_validate(r) for r in found], call.query_as(Paging))


@routes.route(
    "POST",
    "/reminder-rules",
    summary="Add a reminder rule",
    tag=TAG,
    roles=ADMIN,
    body=NewRule,
    response=RuleOut,
    status=201,
    errors=(422,),
)
async def add_reminder_rule(call: Call) -> RuleOut:
    b = call.body_as(NewRule)
    rule = await rules(call.request).add(RuleDraft(**b.model_dump()))
    return RuleOut.model_validate(rule)


@routes.route(
    "PUT",
    "/reminder-rules/{rule_id}/templates",
    summary="Replace a rule's templates",
    tag=TAG,
    roles=ADMIN,
    body=NewTemplates,
    response=RuleOut,
    errors=(422,),
)
async def set_reminder_templates(call: Call) -> RuleOut:
    rule = await rules(call.request).set_templates(
        call.ids["rule_id"], call.body_as(NewTemplates).templates
    )
    return RuleOut.model_validate(rule)


@routes.route(
    "PUT",
    "/reminder-rules/{rule_id}/enabled",
    summary="Switch a rule on or off",
    tag=TAG,
    roles=ADMIN,
    body=Enabled,
    response=RuleOut,
)
async def enable_reminder_rule(call: Call) -> RuleOut:
    await rules(call.request).set_enabled(call.ids["rule_id"], call.body_as(Enabled).enabled)
    return await _rule(call.request, call.ids["rule_id"])
