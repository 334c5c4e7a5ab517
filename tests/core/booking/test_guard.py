"""One future visit per patient and service when the clinic keeps CeR's rule: a second is
refused naming the first, whoever books it (patient, desk, partner), racing or not, on
both databases; the turn comes back when the first is cancelled, missed or over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import AlreadyBooked, SlotTaken
from core.models import Booking
from core.vocab import BookingStatus, Channel
from testkit.factories import adult, count_rows, small_clinic, warsaw_at
from testkit.guard import switch_guard


def _visit(c, pid: int, at, service=None) -> VisitRequest:
    return VisitRequest(pid, (service or c.consult).id, c.internist.id, at)


async def test_a_second_visit_of_the_service_is_refused_naming_the_first(db, clock):
    c = await small_clinic(db, clock)
    await switch_guard(db)
    pid = await adult(db, clock)
    booking = BookingService(db, clock)
    me = Actor.patient(pid, Channel.TELEGRAM)
    first = await booking.book(me, _visit(c, pid, warsaw_at(clock, 1, 9)))
    for actor in (me, Actor.staff("desk"), Actor.partner(Channel.LUXMED)):
        with pytest.raises(AlreadyBooked) as caught:
            await booking.book(actor, _visit(c, pid, warsaw_at(clock, 2, 9)))
        assert caught.value.details["booking_id"] == first.id
        assert caught.value.details["start_at"] == first.start_at.isoformat()
    # Another service, or another patient, is not concerned.
    await booking.book(me, _visit(c, pid, warsaw_at(clock, 2, 10), c.long_consult))
    other = await adult(db, clock, 2)
    await booking.book(
        Actor.patient(other, Channel.WHATSAPP), _visit(c, other, warsaw_at(clock, 2, 9))
    )
    assert await count_rows(db, Booking) == 3


async def test_the_turn_comes_back_after_a_cancellation_and_restoring_is_guarded(db, clock):
    c = await small_clinic(db, clock)
    await switch_guard(db)
    pid = await adult(db, clock)
    booking = BookingService(db, clock)
    me = Actor.patient(pid, Channel.TELEGRAM)
    first = await booking.book(me, _visit(c, pid, warsaw_at(clock, 1, 9)))
    await booking.cancel(me, first.id, "plans changed")
    second = await booking.book(me, _visit(c, pid, warsaw_at(clock, 2, 9)))
    with pytest.raises(AlreadyBooked) as caught:
        await booking.restore(Actor.staff("desk"), first.id)
    assert caught.value.details["booking_id"] == second.id
    assert (await booking.get(first.id)).status is BookingStatus.CANCELLED
    await booking.set_status(Actor.staff("desk"), second.id, BookingStatus.NO_SHOW)
    restored = await booking.restore(Actor.staff("desk"), first.id)
    assert restored.status is BookingStatus.BOOKED


async def test_a_visit_over_but_never_closed_does_not_block(db, clock):
    c = await small_clinic(db, clock)
    await switch_guard(db)
    pid = await adult(db, clock)
    booking = BookingService(db, clock)
    me = Actor.patient(pid, Channel.TELEGRAM)
    await booking.book(me, _visit(c, pid, warsaw_at(clock, 1, 9)))
    clock.advance(timedelta(days=2))  # the visit is over, still "booked"
    later = await booking.book(me, _visit(c, pid, warsaw_at(clock, 1, 9)))
    assert later.status is BookingStatus.BOOKED


async def test_without_the_guard_a_patient_may_book_twice(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    booking = BookingService(db, clock)
    me = Actor.patient(pid, Channel.TELEGRAM)
    await booking.book(me, _visit(c, pid, warsaw_at(clock, 1, 9)))
    await booking.book(me, _visit(c, pid, warsaw_at(clock, 2, 9)))
    assert await count_rows(db, Booking) == 2


async def test_racing_channels_leave_one_visit(db, clock):
    """The chat and the desk at once, for two different times: the database keeps one."""
    c = await small_clinic(db, clock)
    await switch_guard(db)
    pid = await adult(db, clock)
    booking = BookingService(db, clock)
    attempts = [
        booking.book(Actor.patient(pid, Channel.TELEGRAM), _visit(c, pid, warsaw_at(clock, 1, h)))
        for h in (9, 10)
    ] + [booking.book(Actor.staff("desk"), _visit(c, pid, warsaw_at(clock, 2, h))) for h in (9, 10)]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    made = [r for r in results if not isinstance(r, BaseException)]
    assert len(made) == 1, results
    assert all(isinstance(r, AlreadyBooked | SlotTaken) for r in results if r not in made)
    assert await count_rows(db, Booking, Booking.service_guard.is_(True)) == 1
