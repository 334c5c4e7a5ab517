"""`/api/v1/reports`: simple counts for the clinic's managers, within the asker's scope:
bookings per channel, phone calls per day and per outcome, the freed time the waiting list
refilled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, model_validator

from core.booking.waitlist_report import refill_report
from core.calls.reports import CallReports
from core.vocab import CallOutcome, Channel
from frontdesk import keys
from frontdesk.staff.api.models import Input, Instant
from frontdesk.staff.api.openapi import ADMIN, DESK, Api, Call

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


class CallPeriod(Period):
    start: Instant = Field(description="Calls starting at or after")
    end: Instant = Field(description="Calls starting before")


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
    counts = await call.request.app[keys.SERVICES].lists.bookings_per_channel(
        call.scope, q.start, q.end
    )
    return BookingsPerChannel(
        start=q.start,
        end=q.end,
        rows=[ChannelCount(channel=c, bookings=counts.get(c, 0)) for c in Channel],
    )


class CancellationPeriod(Period):
    start: Instant = Field(description="Cancellations made at or after")
    end: Instant = Field(description="Cancellations made before")


class WaitlistRefill(BaseModel):
    """Of the visit time cancellations freed ahead of the visit, how much the waiting list
    booked again (offers accepted, automatic bookings): the whole clinic's figures."""

    start: datetime
    end: datetime
    freed_minutes: int
    refilled_minutes: int
    freed_visits: int
    refilled_visits: int
    share: float = Field(description="refilled_minutes / freed_minutes (0 when none freed)")


@routes.route(
    "GET",
    "/reports/waitlist-refill",
    summary="How much freed time the waiting list refilled",
    tag=TAG,
    roles=ADMIN,
    query=CancellationPeriod,
    response=WaitlistRefill,
)
async def waitlist_refill(call: Call) -> WaitlistRefill:
    q = call.query_as(CancellationPeriod)
    report = await refill_report(call.request.app[keys.SERVICES].db, q.start, q.end)
    return WaitlistRefill(
        start=q.start,
        end=q.end,
        freed_minutes=report.freed_minutes,
        refilled_minutes=report.refilled_minutes,
        freed_visits=report.freed_visits,
        refilled_visits=report.refilled_visits,
        share=round(report.share, 4),
    )


class DayCount(BaseModel):
    day: date = Field(description="The local day of the branch called")
    calls: int


class CallsPerDay(BaseModel):
    """Every day of the period, with zero where no call came: at most 367 rows, never paged."""

    start: datetime
    end: datetime
    rows: list[DayCount]


class OutcomeCount(BaseModel):
    outcome: CallOutcome
    calls: int


class CallOutcomes(BaseModel):
    """Every outcome, with zero where no call had it: a short, fixed list, never paged."""

    start: datetime
    end: datetime
    rows: list[OutcomeCount]
    unfinished: int = Field(description="Calls still going on, without an outcome yet")


def calls(call: Call) -> CallReports:
    return call.request.app[keys.SERVICES].call_reports


@routes.route(
    "GET",
    "/reports/calls-per-day",
    summary="Phone calls per day",
    tag=TAG,
    roles=DESK,
    query=CallPeriod,
    response=CallsPerDay,
)
async def calls_per_day(call: Call) -> CallsPerDay:
    q = call.query_as(CallPeriod)
    counts = await calls(call).per_day(call.scope, q.start, q.end)
    return CallsPerDay(
        start=q.start, end=q.end, rows=[DayCount(day=d, calls=n) for d, n in counts.items()]
    )


@routes.route(
    "GET",
    "/reports/call-outcomes",
    summary="Phone calls per outcome",
    tag=TAG,
    roles=DESK,
    query=CallPeriod,
    response=CallOutcomes,
)
async def call_outcomes(call: Call) -> CallOutcomes:
    q = call.query_as(CallPeriod)
    counts = await calls(call).outcomes(call.scope, q.start, q.end)
    return CallOutcomes(
        start=q.start,
        end=q.end,
        rows=[OutcomeCount(outcome=o, calls=counts.get(o, 0)) for o in CallOutcome],
        unfinished=counts.get(None, 0),
    )
