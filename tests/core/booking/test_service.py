"""Booking a visit (core/booking/service.py): it writes the booking, its cells, its history
and the outbox together, and bad input changes nothing; holds hide a time until booked,
expired or released; a patient's upcoming visits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.errors import (
    HoldExpired,
    InvalidInput,
    OutsideAvailability,
    RestrictionViolated,
    SlotTaken,
)
from core.models import OutboxEvent
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import ActorKind, BookingStatus, Channel, EventKind, Sex
from testkit.factories import adult, child, row_counts, warsaw_at


async def test_booking_writes_history_and_outbox(db, clock, setup):
    c, pid, svc = setup
    at = warsaw_at(clock, 1, 9)
    booking = await svc.book(
        Actor.patient(pid, Channel.TELEGRAM), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )
    assert booking.status is BookingStatus.BOOKED
    assert booking.source is Channel.TELEGRAM
    assert booking.room_id == c.room.id
    assert booking.end_at - booking.start_at == timedelta(minutes=15)
    [change] = await svc.history(booking.id)
    assert (change.actor_kind, change.actor, change.channel, change.action) == (
        ActorKind.PATIENT,
        str(pid),
        Channel.TELEGRAM,
        "booked",
    )
    async with db.read() as session:
        [event] = (await session.execute(select(OutboxEvent))).scalars()
    assert event.kind is EventKind.BOOKED
    assert event.booking_id == booking.id
    assert event.payload["start_at"] == at.astimezone(ZoneInfo("UTC")).isoformat()


async def test_the_same_time_cannot_be_booked_twice(db, clock, setup):
    c, pid, svc = setup
    other = await adult(db, clock, 2)
    at = warsaw_at(clock, 1, 9)
    await svc.book(Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at))
    before = await row_counts(db)
    with pytest.raises(SlotTaken):
        await svc.book(Actor.staff("desk"), VisitRequest(other, c.consult.id, c.internist.id, at))
    # A longer visit that starts earlier and runs into it is refused as well.
    with pytest.raises(SlotTaken):
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(other, c.long_consult.id, c.internist.id, at - timedelta(minutes=15)),
        )
    assert await row_counts(db) == before


@pytest.mark.parametrize(
    ("make_request", "error", "reason"),
    [
        (
            lambda c, p, a: VisitRequest(p, c.child_visit.id, c.paediatrician.id, a(1, 9)),
            RestrictionViolated,
            "age",
        ),
        (
            lambda c, p, a: VisitRequest(p, c.ultrasound.id, c.internist.id, a(1, 9)),
            RestrictionViolated,
            "referral",
        ),
        (
            lambda c, p, a: VisitRequest(p, c.consult.id, c.internist.id, a(1, 12)),
            OutsideAvailability,
            "slot",
        ),  # after the template ends
        (
            lambda c, p, a: VisitRequest(p, c.consult.id, c.internist.id, a(1, 9, 5)),
            OutsideAvailability,
            "slot",
        ),  # not at a slot's start
        (
            lambda c, p, a: VisitRequest(p, c.consult.id, c.paediatrician.id, a(1, 9)),
            OutsideAvailability,
            "service",
        ),  # the paediatrician does not do it
        (
            lambda c, p, a: VisitRequest(p, c.long_consult.id, c.internist.id, a(1, 11, 45)),
            OutsideAvailability,
            "slot",
        ),  # 30 minutes do not fit before 12:00
    ],
)
async def test_bad_requests_raise_domain_errors_and_change_nothing(
    db, clock, setup, make_request, error, reason
):
    c, pid, svc = setup
    before = await row_counts(db)
    with pytest.raises(error) as raised:
        await svc.book(Actor.staff("desk"), make_request(c, pid, lambda *a: warsaw_at(clock, *a)))
    assert raised.value.details["reason"] == reason
    assert await row_counts(db) == before


async def test_sex_restriction_and_referral(db, clock, setup):
    c, _pid, svc = setup
    man = await adult(db, clock, 3, sex=Sex.MALE)
    with pytest.raises(RestrictionViolated) as raised:
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(
                man, c.ultrasound.id, c.internist.id, warsaw_at(clock, 1, 9), referral="X1"
            ),
        )
    assert raised.value.details["reason"] == "sex"
    kid = await child(db, clock)
    booked = await svc.book(
        Actor.staff("desk"),
        VisitRequest(kid, c.child_visit.id, c.paediatrician.id, warsaw_at(clock, 1, 9)),
    )
    assert booked.id


async def test_channel_availability_is_enforced(db, clock, setup):
    c, _pid, svc = setup
    kid = await child(db, clock)
    # The paediatrician's slots are for the clinic's own channels, not for partners.
    with pytest.raises(OutsideAvailability):
        await svc.book(
            Actor.partner(Channel.ZNANYLEKARZ),
            VisitRequest(kid, c.child_visit.id, c.paediatrician.id, warsaw_at(clock, 1, 9)),
        )
    assert (
        await SlotSearch(db, clock).find(
            SlotQuery(channel=Channel.ZNANYLEKARZ, doctor_id=c.paediatrician.id)
        )
        == []
    )


async def test_past_times_and_naive_times_are_refused(db, clock, setup):
    c, pid, svc = setup
    with pytest.raises(InvalidInput):
        await svc.book(
            Actor.patient(pid, Channel.TELEGRAM),
            VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, -1, 9)),
        )
    with pytest.raises(InvalidInput):
        await svc.book(
            Actor.patient(pid, Channel.TELEGRAM),
            VisitRequest(
                pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9).replace(tzinfo=None)
            ),
        )


async def test_a_hold_hides_the_slot_until_booked_or_expired(db, clock, setup):
    c, pid, svc = setup
    search = SlotSearch(db, clock)
    query = SlotQuery(channel=Channel.VOICE, service_id=c.consult.id, limit=1)
    [first] = await search.find(query)
    ticket = await svc.hold(Channel.VOICE, c.consult.id, first.doctor_id, first.start_at)
    [second] = await search.find(query)
    assert second.start_at > first.start_at  # held: invisible to others
    with pytest.raises(SlotTaken):
        await svc.hold(Channel.TELEGRAM, c.consult.id, first.doctor_id, first.start_at)
    with pytest.raises(SlotTaken):
        await svc.book(
            Actor.staff("desk"), VisitRequest(pid, c.consult.id, first.doctor_id, first.start_at)
        )
    booking = await svc.book(
        Actor.patient(pid, Channel.VOICE),
        VisitRequest(pid, c.consult.id, first.doctor_id, first.start_at, hold_token=ticket.token),
    )
    assert booking.start_at == first.start_at
    with pytest.raises(HoldExpired):  # a hold is redeemed once
        await svc.book(
            Actor.patient(pid, Channel.VOICE),
            VisitRequest(
                pid, c.consult.id, first.doctor_id, second.start_at, hold_token=ticket.token
            ),
        )


async def test_an_expired_hold_gives_way(db, clock, setup):
    c, pid, svc = setup
    at = warsaw_at(clock, 1, 9)
    ticket = await svc.hold(Channel.VOICE, c.consult.id, c.internist.id, at)
    clock.advance(svc.hold_ttl + timedelta(seconds=1))
    found = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.VOICE)
    assert at in [f.start_at for f in found]
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )
    assert booking.id
    with pytest.raises(SlotTaken):  # the lapsed hold no longer keeps the time
        await svc.book(
            Actor.patient(pid, Channel.VOICE),
            VisitRequest(pid, c.consult.id, c.internist.id, at, hold_token=ticket.token),
        )
    assert await svc.sweep_holds() == 1
    assert (await row_counts(db))["Hold"] == 0


async def test_release_gives_the_slot_back(db, clock, setup):
    c, _pid, svc = setup
    at = warsaw_at(clock, 1, 9)
    ticket = await svc.hold(Channel.TELEGRAM, c.consult.id, c.internist.id, at)
    await svc.release(ticket.token)
    found = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.TELEGRAM)
    assert at in [f.start_at for f in found]
    assert (await row_counts(db))["Occupancy"] == 0


async def test_upcoming_lists_a_patients_active_visits(db, clock, setup):
    c, pid, svc = setup
    a = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 2, 9))
    )
    b = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9))
    )
    cancelled = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 3, 9))
    )
    await svc.cancel(Actor.staff("d"), cancelled.id, "x")
    assert [x.id for x in await svc.upcoming(pid)] == [b.id, a.id]


async def test_oversized_input_is_a_domain_error_on_both_databases(db, clock, setup):
    c, pid, svc = setup
    before = await row_counts(db)
    with pytest.raises(InvalidInput):
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(
                pid, c.ultrasound.id, c.internist.id, warsaw_at(clock, 1, 9), referral="R" * 10_000
            ),
        )
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9))
    )
    with pytest.raises(InvalidInput):
        await svc.cancel(Actor.staff("desk"), booking.id, "x" * 501)
    assert (await row_counts(db))["Booking"] == before["Booking"] + 1
