"""`/api/v1/callbacks`: the numbers phone calls asked the desk to call back, the longest
waiting first, within the member's branches; take one (nobody else can then), mark it
done with what calling back gave."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field

from core.calls.callbacks import CallbackService
from core.models.calls import NOTE_CHARS
from core.vocab import CallbackOutcome, CallbackReason, CallbackStatus
from frontdesk import keys
from frontdesk.staff.api.models import (
    Id,
    Input,
    Page,
    Paging,
    WithPatient,
    paged,
    with_patient_names,
)
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "callbacks"


class CallbackQuery(Paging):
    status: list[CallbackStatus] = Field(default_factory=list, description="Default: open")
    branch: list[Id] = Field(default_factory=list, max_length=50)


class CallbackOut(WithPatient):
    id: int
    phone: str
    reason: CallbackReason
    language: str = Field(description="The caller's language in the phone menu")
    branch_id: int | None = Field(description="The branch the caller dialled")
    calls: int = Field(description="Calls from the number while the request was open")
    status: CallbackStatus
    created_at: datetime = Field(description="When the first call asked: the wait's start")
    updated_at: datetime
    taken_by: str | None = Field(description="Login of the member calling back")
    taken_at: datetime | None
    outcome: CallbackOutcome | None
    note: str | None
    closed_at: datetime | None
    closed_by: str | None
    attempts: int = Field(description="Calls back that found nobody")
    retry_at: datetime | None = Field(description="Not to be called again before this time")


class CallbackList(Page[CallbackOut]):
    pass


class CallbackDone(Input):
    outcome: CallbackOutcome
    note: str = Field(default="", max_length=NOTE_CHARS)


def service(request: web.Request) -> CallbackService:
    return request.app[keys.SERVICES].callbacks


@routes.route(
    "GET",
    "/callbacks",
    summary="Callback requests, the longest waiting first",
    tag=TAG,
    roles=DESK,
    query=CallbackQuery,
    response=CallbackList,
)
async def list_callbacks(call: Call) -> CallbackList:
    q = call.query_as(CallbackQuery)
    found = await service(call.request).queue(
        call.scope,
        statuses=frozenset(q.status or [CallbackStatus.OPEN]),
        branch_ids=frozenset(q.branch) or None,
        limit=q.limit,
        offset=q.offset,
    )
    return paged(
        CallbackList,
        await with_patient_names(call.request, CallbackOut, found.items),
        q,
        has_more=found.has_more,
    )


@routes.route(
    "POST",
    "/callbacks/{callback_id}/take",
    summary="Take the request: you are calling the number back",
    tag=TAG,
    roles=DESK,
    response=CallbackOut,
    errors=(409,),
)
async def take_callback(call: Call) -> CallbackOut:
    taken = await service(call.request).take(call.scope, call.ids["callback_id"])
    (out,) = await with_patient_names(call.request, CallbackOut, [taken])
    return out


@routes.route(
    "POST",
    "/callbacks/{callback_id}/done",
    summary="Mark the request done with what calling back gave",
    tag=TAG,
    roles=DESK,
    body=CallbackDone,
    response=CallbackOut,
    errors=(409,),
)
async def finish_callback(call: Call) -> CallbackOut:
    b = call.body_as(CallbackDone)
    done = await service(call.request).done(call.scope, call.ids["callback_id"], b.outcome, b.note)
    (out,) = await with_patient_names(call.request, CallbackOut, [done])
    return out
