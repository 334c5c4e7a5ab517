"""`/api/v1/escalations`: the conversations handed to the desk; take, reply (delivered to
the patient's channel from the outbox), close."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from core.desk.inbox import InboxItem
from core.messaging.escalation import ACTIVE, EscalationService
from core.models import EscalationMessage
from core.vocab import Channel, EscalationStatus
from frontdesk import keys
from frontdesk.staff.api.models import Input, Page, Paging, paged
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "escalations"


class EscalationQuery(Paging):
    status: list[EscalationStatus] = Field(
        default_factory=list, description="Default: open and taken"
    )


class EscalationOut(BaseModel):
    id: int
    channel: Channel
    patient_id: int | None
    patient_name: str | None = Field(description="null: the chat is not linked to a card")
    branch_id: int | None = Field(description="The branch whose desk answers; null: any")
    language: str
    reason: str
    status: EscalationStatus
    taken_by: str | None = Field(description="Login of the staff member who took it")
    taken_by_name: str | None = Field(description="Their display name")
    created_at: datetime
    closed_at: datetime | None
    last_text: str
    last_at: datetime

    @classmethod
    def of(cls, item: InboxItem, names: dict[str, str]) -> EscalationOut:
        case = item.case
        assert case.id is not None
        return cls(
            id=case.id,
            channel=case.channel,
            patient_id=case.patient_id,
            patient_name=item.patient_name,
            branch_id=case.branch_id,
            language=case.language,
            reason=case.reason,
            status=case.status,
            taken_by=case.taken_by,
            taken_by_name=names.get(case.taken_by, case.taken_by) if case.taken_by else None,
            created_at=case.created_at,
            closed_at=case.closed_at,
            last_text=item.last_text,
            last_at=item.last_at,
        )


class MessageOut(BaseModel):
    id: int
    at: datetime
    author: str = Field(description="patient, bot or staff")
    staff_login: str | None
    staff_name: str | None
    text: str

    @classmethod
    def of(cls, message: EscalationMessage, names: dict[str, str]) -> MessageOut:
        assert message.id is not None
        login = message.staff_login
        return cls(
            id=message.id,
            at=message.at,
            author=message.author,
            staff_login=login,
            staff_name=names.get(login, login) if login else None,
            text=message.text,
        )


class EscalationDetail(EscalationOut):
    transcript: list[MessageOut]


class EscalationList(Page[EscalationOut]):
    pass


class Reply(Input):
    text: str = Field(min_length=1, max_length=4096)


def service(request: web.Request) -> EscalationService:
    return request.app[keys.SERVICES].escalation


async def _detail(call: Call, escalation_id: int) -> EscalationDetail:
    services = call.request.app[keys.SERVICES]
    item = await services.inbox.case(call.scope, escalation_id)
    messages = await services.escalation.transcript(escalation_id)
    logins = [item.case.taken_by, *(m.staff_login for m in messages)]
    names = await services.staff.display_names(login for login in logins if login)
    return EscalationDetail(
        **EscalationOut.of(item, names).model_dump(),
        transcript=[MessageOut.of(m, names) for m in messages],
    )


async def _in_scope(call: Call) -> None:
    """A case outside the member's branches is "not found", before anything is done to it."""
    await call.request.app[keys.SERVICES].inbox.case(call.scope, call.ids["escalation_id"])


@routes.route(
    "GET",
    "/escalations",
    summary="The inbox of escalated conversations",
    tag=TAG,
    roles=DESK,
    query=EscalationQuery,
    response=EscalationList,
)
async def list_escalations(call: Call) -> EscalationList:
    q = call.query_as(EscalationQuery)
    statuses = tuple(dict.fromkeys(q.status)) or ACTIVE
    services = call.request.app[keys.SERVICES]
    items = await services.inbox.cases(call.scope, statuses, limit=q.limit + 1, offset=q.offset)
    names = await services.staff.display_names(i.case.taken_by for i in items if i.case.taken_by)
    return paged(
        EscalationList,
        [EscalationOut.of(i, names) for i in items[: q.limit]],
        q,
        has_more=len(items) > q.limit,
    )


@routes.route(
    "GET",
    "/escalations/{escalation_id}",
    summary="A conversation with its transcript",
    tag=TAG,
    roles=DESK,
    response=EscalationDetail,
)
async def get_escalation(call: Call) -> EscalationDetail:
    return await _detail(call, call.ids["escalation_id"])


@routes.route(
    "POST",
    "/escalations/{escalation_id}/take",
    summary="Take the conversation",
    tag=TAG,
    roles=DESK,
    response=EscalationDetail,
    errors=(409,),
)
async def take_escalation(call: Call) -> EscalationDetail:
    await _in_scope(call)
    await service(call.request).take(call.ids["escalation_id"], call.scope.login)
    return await _detail(call, call.ids["escalation_id"])


@routes.route(
    "POST",
    "/escalations/{escalation_id}/reply",
    summary="Answer the patient on their channel",
    tag=TAG,
    roles=DESK,
    body=Reply,
    response=EscalationDetail,
    errors=(409,),
)
async def reply_to_escalation(call: Call) -> EscalationDetail:
    text = call.body_as(Reply).text
    await _in_scope(call)
    await service(call.request).reply(call.ids["escalation_id"], call.scope.login, text)
    return await _detail(call, call.ids["escalation_id"])


@routes.route(
    "POST",
    "/escalations/{escalation_id}/close",
    summary="Close the conversation",
    tag=TAG,
    roles=DESK,
    response=EscalationDetail,
    errors=(409,),
)
async def close_escalation(call: Call) -> EscalationDetail:
    await _in_scope(call)
    await service(call.request).close(call.ids["escalation_id"])
    return await _detail(call, call.ids["escalation_id"])
