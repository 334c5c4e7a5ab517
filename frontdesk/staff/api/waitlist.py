"""`/api/v1/waitlist`: who waits for which doctor or service; add a patient, withdraw."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import Field

from core.booking.waitlist import WaitRequest
from core.desk.lists import DeskLists
from core.errors import InvalidInput
from core.vocab import Channel, WaitlistStatus
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, LocalTime, Output, Page, Paging, paged
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "waiting list"
# Where an offer can reach the patient.
OFFER_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.WEB)


class WaitlistQuery(Paging):
    status: list[WaitlistStatus] = Field(default_factory=list, description="Default: all")


class EntryOut(Output):
    id: int
    patient_id: int
    doctor_id: int | None
    service_id: int | None
    branch_id: int | None
    earliest: date | None
    latest: date | None
    time_from: LocalTime | None
    time_to: LocalTime | None
    channel: Channel
    auto_book: bool
    status: WaitlistStatus
    booking_id: int | None
    created_at: datetime


class EntryList(Page[EntryOut]):
    pass


class NewEntry(Input):
    patient_id: Id
    channel: Channel = Field(description="Where offers go: telegram, whatsapp, sms or web")
    doctor_id: Id | None = None
    service_id: Id | None = None
    branch_id: Id | None = None
    earliest: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2999, 12, 31))
    latest: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2999, 12, 31))
    time_from: LocalTime | None = None
    time_to: LocalTime | None = None
    auto_book: bool = Field(
        default=False,
        description="Book a matching freed time at once (the patient is told, and may cancel)",
    )


def lists(request: web.Request) -> DeskLists:
    return request.app[keys.SERVICES].lists


@routes.route(
    "GET",
    "/waitlist",
    summary="The waiting list, longest waiting first",
    tag=TAG,
    roles=DESK,
    query=WaitlistQuery,
    response=EntryList,
)
async def list_waitlist(call: Call) -> EntryList:
    q = call.query_as(WaitlistQuery)
    found = await lists(call.request).waitlist(
        call.scope, frozenset(q.status) or None, limit=q.limit, offset=q.offset
    )
    return paged(EntryList, found.items, q, has_more=found.has_more)


@routes.route(
    "POST",
    "/waitlist",
    summary="Put a patient on the waiting list",
    tag=TAG,
    roles=DESK,
    body=NewEntry,
    response=EntryOut,
    status=201,
)
async def join_waitlist(call: Call) -> EntryOut:
    b = call.body_as(NewEntry)
    if b.channel not in OFFER_CHANNELS:
        raise InvalidInput(
            "offers reach patients by telegram, whatsapp, sms or web", field="channel"
        )
    if b.branch_id is not None:
        call.scope.check_branch(b.branch_id)
    entry = await call.request.app[keys.SERVICES].waitlist.join(
        WaitRequest(
            patient_id=b.patient_id,
            channel=b.channel,
            doctor_id=b.doctor_id,
            service_id=b.service_id,
            branch_id=b.branch_id,
            earliest=b.earliest,
            latest=b.latest,
            time_from=b.time_from,
            time_to=b.time_to,
            auto_book=b.auto_book,
        )
    )
    return EntryOut.model_validate(entry)


@routes.route(
    "DELETE",
    "/waitlist/{entry_id}",
    summary="Withdraw from the waiting list",
    tag=TAG,
    roles=DESK,
    response=None,
)
async def withdraw_from_waitlist(call: Call) -> None:
    entry_id = call.ids["entry_id"]
    await lists(call.request).waitlist_entry(call.scope, entry_id)
    await call.request.app[keys.SERVICES].waitlist.withdraw(call.scope.actor, entry_id)
