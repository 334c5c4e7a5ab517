"""`/api/v1/bookings`: search, create, move, cancel, restore, change status, history, trash.

Every call goes through `StaffBookings`, which keeps each member inside their scope
and records them in the booking's change history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from core.booking.placement import VisitRequest
from core.desk.booking_search import BookingFilter, BookingPage, BookingRow
from core.desk.bookings import HistoryEntry, StaffBookings
from core.vocab import ActorKind, BookingStatus, Channel, CommunicationStatus
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, Instant, Page, Paging, page_of, paged
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "bookings"


class BookingQuery(Paging):
    patient: str | None = Field(default=None, max_length=100, description="Words of the name")
    phone: str | None = Field(default=None, max_length=30, description="Digits of a phone")
    pesel: str | None = Field(default=None, max_length=11, description="The whole PESEL")
    start: Instant | None = Field(default=None, description="Visits starting at or after")
    end: Instant | None = Field(default=None, description="Visits starting before")
    doctor: list[Id] = Field(default_factory=list, max_length=50)
    branch: list[Id] = Field(default_factory=list, max_length=50)
    status: list[BookingStatus] = Field(default_factory=list)
    source: list[Channel] = Field(default_factory=list)

    def to_filter(self) -> BookingFilter:
        return BookingFilter(
            patient=self.patient or None,
            phone=self.phone or None,
            pesel=self.pesel or None,
            start=self.start,
            end=self.end,
            doctor_ids=frozenset(self.doctor) or None,
            branch_ids=frozenset(self.branch) or None,
            statuses=frozenset(self.status) or None,
            sources=frozenset(self.source) or None,
        )


class BookingOut(BaseModel):
    id: int
    patient_id: int
    patient_name: str
    service_id: int
    service_name: str
    doctor_id: int
    doctor_name: str
    branch_id: int
    branch_name: str
    room_id: int | None
    timezone: str = Field(description="The branch's time zone, to show times in")
    start_at: datetime
    end_at: datetime
    status: BookingStatus
    source: Channel
    communication_status: CommunicationStatus
    referral: str | None
    e_referral: str | None = Field(
        description="The e-referral (e-skierowanie): 22 or 44 digits, or CODE/PESEL"
    )
    cancel_reason: str | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: BookingRow) -> BookingOut:
        b = row.booking
        assert b.id is not None
        return cls(
            id=b.id,
            patient_id=b.patient_id,
            patient_name=row.patient_name,
            service_id=b.service_id,
            service_name=row.service_name,
            doctor_id=b.doctor_id,
            doctor_name=row.doctor_name,
            branch_id=b.branch_id,
            branch_name=row.branch_name,
            room_id=b.room_id,
            timezone=row.timezone,
            start_at=b.start_at,
            end_at=b.end_at,
            status=b.status,
            source=b.source,
            communication_status=b.communication_status,
            referral=b.referral,
            e_referral=b.e_referral,
            cancel_reason=b.cancel_reason,
            cancelled_at=b.cancelled_at,
            created_at=b.created_at,
            updated_at=b.updated_at,
        )


class BookingList(Page[BookingOut]):
    @classmethod
    def of(cls, found: BookingPage, paging: Paging) -> BookingList:
        return paged(cls, [BookingOut.of(r) for r in found.rows], paging, has_more=found.has_more)


class NewBooking(Input):
    patient_id: Id
    service_id: Id
    doctor_id: Id
    start_at: Instant
    referral: str | None = Field(default=None, max_length=100)
    e_referral: str | None = Field(
        default=None,
        max_length=120,
        description="A 4-digit code with the patient's PESEL, or the 22- or 44-digit number",
    )


class Move(Input):
    doctor_id: Id
    start_at: Instant


class Cancel(Input):
    reason: str = Field(min_length=1, max_length=500)


class StatusChange(Input):
    status: BookingStatus


class ChangeOut(BaseModel):
    at: datetime
    action: str
    actor_kind: ActorKind
    actor: str = Field(description="Staff login, partner, patient id or 'system'")
    by: str = Field(description="Who, for people: a staff member's display name")
    channel: Channel
    changes: dict[str, list[Any]] = Field(description="Field: [old, new]")

    @classmethod
    def of(cls, entry: HistoryEntry) -> ChangeOut:
        c = entry.change
        return cls(
            at=c.at,
            action=c.action,
            actor_kind=c.actor_kind,
            actor=c.actor,
            by=entry.by,
            channel=c.channel,
            changes=c.changes,
        )


class ChangeList(Page[ChangeOut]):
    pass


def desk(request: web.Request) -> StaffBookings:
    return request.app[keys.SERVICES].staff_bookings


async def _out(call: Call, booking_id: int | None) -> BookingOut:
    assert booking_id is not None
    return BookingOut.of(await desk(call.request).get(call.scope, booking_id))


@routes.route(
    "GET",
    "/bookings",
    summary="Search bookings",
    tag=TAG,
    query=BookingQuery,
    response=BookingList,
)
async def search_bookings(call: Call) -> BookingList:
    q = call.query_as(BookingQuery)
    found = await desk(call.request).find(call.scope, q.to_filter(), limit=q.limit, offset=q.offset)
    return BookingList.of(found, q)


@routes.route(
    "GET",
    "/bookings/trash",
    summary="Cancelled bookings, to restore",
    tag=TAG,
    query=Paging,
    response=BookingList,
)
async def booking_trash(call: Call) -> BookingList:
    q = call.query_as(Paging)
    return BookingList.of(
        await desk(call.request).trash(call.scope, limit=q.limit, offset=q.offset), q
    )


@routes.route(
    "POST",
    "/bookings",
    summary="Book a visit for a patient",
    tag=TAG,
    roles=DESK,
    body=NewBooking,
    response=BookingOut,
    status=201,
    errors=(409, 422),
)
async def create_booking(call: Call) -> BookingOut:
    b = call.body_as(NewBooking)
    booking = await desk(call.request).book(
        call.scope,
        VisitRequest(
            patient_id=b.patient_id,
            service_id=b.service_id,
            doctor_id=b.doctor_id,
            start_at=b.start_at,
            referral=b.referral,
            e_referral=b.e_referral,
        ),
    )
    return await _out(call, booking.id)


@routes.route("GET", "/bookings/{booking_id}", summary="One booking", tag=TAG, response=BookingOut)
async def get_booking(call: Call) -> BookingOut:
    return await _out(call, call.ids["booking_id"])


@routes.route(
    "GET",
    "/bookings/{booking_id}/history",
    summary="A booking's change history",
    tag=TAG,
    query=Paging,
    response=ChangeList,
)
async def booking_history(call: Call) -> ChangeList:
    entries = await desk(call.request).history(call.scope, call.ids["booking_id"])
    return page_of(ChangeList, [ChangeOut.of(e) for e in entries], call.query_as(Paging))


@routes.route(
    "POST",
    "/bookings/{booking_id}/move",
    summary="Move to another time or doctor",
    tag=TAG,
    roles=DESK,
    body=Move,
    response=BookingOut,
    errors=(409, 422),
)
async def move_booking(call: Call) -> BookingOut:
    b = call.body_as(Move)
    booking = await desk(call.request).move(
        call.scope, call.ids["booking_id"], doctor_id=b.doctor_id, start_at=b.start_at
    )
    return await _out(call, booking.id)


@routes.route(
    "POST",
    "/bookings/{booking_id}/cancel",
    summary="Cancel (to the trash)",
    tag=TAG,
    roles=DESK,
    body=Cancel,
    response=BookingOut,
    errors=(409,),
)
async def cancel_booking(call: Call) -> BookingOut:
    booking = await desk(call.request).cancel(
        call.scope, call.ids["booking_id"], call.body_as(Cancel).reason
    )
    return await _out(call, booking.id)


@routes.route(
    "POST",
    "/bookings/{booking_id}/restore",
    summary="Restore from the trash",
    tag=TAG,
    roles=DESK,
    response=BookingOut,
    errors=(409, 422),
)
async def restore_booking(call: Call) -> BookingOut:
    booking = await desk(call.request).restore(call.scope, call.ids["booking_id"])
    return await _out(call, booking.id)


@routes.route(
    "POST",
    "/bookings/{booking_id}/status",
    summary="Change the visit's status",
    tag=TAG,
    body=StatusChange,
    response=BookingOut,
    errors=(409,),
)
async def change_booking_status(call: Call) -> BookingOut:
    booking = await desk(call.request).set_status(
        call.scope, call.ids["booking_id"], call.body_as(StatusChange).status
    )
    return await _out(call, booking.id)
