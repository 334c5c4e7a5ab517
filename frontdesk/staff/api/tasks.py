"""`/api/v1/tasks`: what callers left for the staff (prescription renewals with their
transcript or recording, cards to complete), oldest first, within the member's branches;
take one, close it with a note."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from core.calls.tasks import TaskService
from core.models.calls import NOTE_CHARS
from core.vocab import TaskKind, TaskStatus
from frontdesk import keys
from frontdesk.staff.api.models import Input, Page, Paging, WithPatient, paged, with_patient_names
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "tasks"


class TaskQuery(Paging):
    kind: list[TaskKind] = Field(default_factory=list, description="Default: every kind")
    status: list[TaskStatus] = Field(default_factory=list, description="Default: open")


class TaskOut(WithPatient):
    id: int
    kind: TaskKind
    status: TaskStatus
    branch_id: int | None = Field(description="The branch the caller dialled")
    phone: str | None
    call_sid: str | None = Field(description="The call that left it (see /calls)")
    language: str
    details: dict[str, Any] = Field(
        description="What the caller left: transcript, recording_url or spoken_name"
    )
    created_at: datetime
    taken_by: str | None
    taken_at: datetime | None
    note: str | None
    closed_at: datetime | None
    closed_by: str | None


class TaskList(Page[TaskOut]):
    pass


class TaskClose(Input):
    note: str = Field(default="", max_length=NOTE_CHARS)


def service(request: web.Request) -> TaskService:
    return request.app[keys.SERVICES].tasks


@routes.route(
    "GET",
    "/tasks",
    summary="Tasks callers left, oldest first",
    tag=TAG,
    roles=DESK,
    query=TaskQuery,
    response=TaskList,
)
async def list_tasks(call: Call) -> TaskList:
    q = call.query_as(TaskQuery)
    found = await service(call.request).listed(
        call.scope,
        kinds=frozenset(q.kind) or None,
        statuses=frozenset(q.status or [TaskStatus.OPEN]),
        limit=q.limit,
        offset=q.offset,
    )
    items = await with_patient_names(call.request, TaskOut, found.items)
    return paged(TaskList, items, q, has_more=found.has_more)


@routes.route(
    "POST",
    "/tasks/{task_id}/take",
    summary="Take the task",
    tag=TAG,
    roles=DESK,
    response=TaskOut,
    errors=(409,),
)
async def take_task(call: Call) -> TaskOut:
    taken = await service(call.request).take(call.scope, call.ids["task_id"])
    (out,) = await with_patient_names(call.request, TaskOut, [taken])
    return out


@routes.route(
    "POST",
    "/tasks/{task_id}/close",
    summary="Close the task with a note",
    tag=TAG,
    roles=DESK,
    body=TaskClose,
    response=TaskOut,
    errors=(409,),
)
async def close_task(call: Call) -> TaskOut:
    note = call.body_as(TaskClose).note
    closed = await service(call.request).close(call.scope, call.ids["task_id"], note)
    (out,) = await with_patient_names(call.request, TaskOut, [closed])
    return out
