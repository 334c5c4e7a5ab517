"""`/api/v1/reports`: simple counts for the clinic's managers, within the asker's scope."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field, model_validator

from core.desk_lists import DeskLists
from core.vocab import Channel
from frontdesk import keys
from frontdesk.api.models import Input, Instant
from frontdesk.api.openapi import DESK, Api, Call

routes = Api()
TAG = "reports"
MAX_PERIOD = timedelta(days=366)


class Period(Input):
    start: Instant = Field(description="Visits starting at or after")
    end: Instant = Field(description="Visits starting before")

    @model_validator(mode="after")
    def _bounded(self) -> Period:
        if not timedelta(0) < self.end - self.start <= MAX_PERIOD:
            raise ValueError("end must follow start, at most 366 days later")
        return self


class ChannelCount(BaseModel):
    channel: Channel
    bookings: int


class BookingsPerChannel(BaseModel):
    """Every channel, with zero where none were made: a short, fixed list, never paged."""

    start: datetime
    end: datetime
    rows: list[ChannelCount]


@routes.route(
    "GET",
    "/reports/bookings-per-channel",
    summary="Bookings made through each channel",
    tag=TAG,
    roles=DESK,
    query=Period,
    response=BookingsPerChannel,
)
async def bookings_per_channel(call: Call) -> BookingsPerChannel:
    q = call.query_as(Period)
    counts = await DeskLists(call.request.app[keys.DATABASE]).bookings_per_channel(
        call.scope, q.start, q.end
    )
    return BookingsPerChannel(
        start=q.start,
        end=q.end,
        rows=[ChannelCount(channel=c, bookings=counts.get(c, 0)) for c in Channel],
    )
