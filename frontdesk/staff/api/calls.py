"""`/api/v1/calls`: the phone calls' records of a period (who called, the path through the
menu, the outcome, how long), in the order they came, within the member's branches."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from core.vocab import CallOutcome
from frontdesk import keys
from frontdesk.staff.api.models import Output, Page, Paging, paged
from frontdesk.staff.api.openapi import DESK, Api, Call
from frontdesk.staff.api.reports import CallPeriod

routes = Api()
TAG = "calls"


class CallQuery(CallPeriod, Paging):
    pass


class CallRecordOut(Output):
    id: int
    call_sid: str
    caller: str = Field(description="The caller's number as Twilio gave it, or 'anonymous'")
    called: str
    branch_id: int | None
    language: str
    patient_id: int | None = Field(description="The card the caller confirmed, if any")
    path: list[str] = Field(description="The menu's steps heard, in order")
    outcome: CallOutcome | None = Field(description="null: the call is still going on")
    booking_id: int | None
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None


class CallRecordList(Page[CallRecordOut]):
    pass


@routes.route(
    "GET",
    "/calls",
    summary="Phone call records of a period",
    tag=TAG,
    roles=DESK,
    query=CallQuery,
    response=CallRecordList,
)
async def list_calls(call: Call) -> CallRecordList:
    q = call.query_as(CallQuery)
    found = await call.request.app[keys.SERVICES].call_reports.records(
        call.scope, q.start, q.end, limit=q.limit, offset=q.offset
    )
    return paged(CallRecordList, found.items, q, has_more=found.has_more)
