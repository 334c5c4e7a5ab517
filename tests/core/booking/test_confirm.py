"""Confirming a held time (`confirm_hold`): a new visit or a move, the hold redeemed with
it, and a time taken meanwhile left for the face to answer."""

from __future__ import annotations

import pytest

from core.actors import Actor
from core.booking.confirm import confirm_hold
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import SlotTaken
from core.vocab import BookingStatus, Channel
from testkit.factories import adult, small_clinic, warsaw_at


@pytest.fixture
async def setup(db, clock):
    return await small_clinic(db, clock), await adult(db, clock), BookingService(db, clock)


async def test_a_held_time_is_booked_as_a_new_visit(db, clock, setup):
    c, pid, svc = setup
    at = warsaw_at(clock, 1, 9)
    ticket = await svc.hold(Channel.TELEGRAM, c.consult.id, c.internist.id, at)
    booking = await confirm_hold(
        svc,
        Actor.patient(pid, Channel.TELEGRAM),
        service_id=c.consult.id,
        doctor_id=c.internist.id,
        start_at=at,
        hold_token=ticket.token,
    )
    assert (booking.patient_id, booking.service_id, booking.start_at) == (pid, c.consult.id, at)
    assert booking.status is BookingStatus.BOOKED
    [change] = await svc.history(booking.id)
    assert change.action == "booked"


async def test_a_held_time_takes_a_visit_moved_there(db, clock, setup):
    c, pid, svc = setup
    actor = Actor.patient(pid, Channel.VOICE)
    first, later = warsaw_at(clock, 1, 9), warsaw_at(clock, 2, 10)
    booking = await svc.book(actor, VisitRequest(pid, c.consult.id, c.internist.id, first))
    ticket = await svc.hold(Channel.VOICE, c.consult.id, c.internist.id, later)
    moved = await confirm_hold(
        svc,
        actor,
        service_id=c.consult.id,
        doctor_id=c.internist.id,
        start_at=later,
        hold_token=ticket.token,
        move=booking.id,
    )
    assert (moved.id, moved.start_at) == (booking.id, later)
    assert [change.action for change in await svc.history(booking.id)] == ["booked", "moved"]


async def test_a_time_taken_meanwhile_is_left_to_the_face(db, clock, setup):
    c, pid, svc = setup
    at = warsaw_at(clock, 1, 9)
    await svc.hold(Channel.WHATSAPP, c.consult.id, c.internist.id, at)  # someone else's
    with pytest.raises(SlotTaken):
        await confirm_hold(
            svc,
            Actor.patient(pid, Channel.TELEGRAM),
            service_id=c.consult.id,
            doctor_id=c.internist.id,
            start_at=at,
            hold_token=None,
        )
