"""Booking operations: each changes the booking, its cells, its history and the outbox
together, and bad input changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor, Reach
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import (
    Forbidden,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutsideAvailability,
    RestrictionViolated,
    SlotTaken,
)
from core.models import Booking, BookingChange, Hold, Occupancy, OutboxEvent
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import ActorKind, BookingStatus, Channel, CommunicationStatus, EventKind, Sex
from testkit.factories import adult, child, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")


def _at(clock, days: int, hh: int, mm: int = 0):
    day = clock.now().date() + timedelta(days=days)
    return datetime.combine(day, time(hh, mm), tzinfo=WARSAW)


async def _counts(db) -> dict[str, int]:
    async with db.read() as session:
        return {
            model.__name__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (Booking, BookingChange, Occupancy, OutboxEvent, Hold)
        }


@pytest.fixture
async def setup(db, clock):
    return await small_clinic(db, clock), await adult(db, clock), BookingService(db, clock)


async def test_booking_writes_history_and_outbox(db, clock, setup):
    c, pid, svc = setup
    at = _at(clock, 1, 9)
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
    at = _at(clock, 1, 9)
    await svc.book(Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at))
    before = await _counts(db)
    with pytest.raises(SlotTaken):
        await svc.book(Actor.staff("desk"), VisitRequest(other, c.consult.id, c.internist.id, at))
    # A longer visit that starts earlier and runs into it is refused as well.
    with pytest.raises(SlotTaken):
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(other, c.long_consult.id, c.internist.id, at - timedelta(minutes=15)),
        )
    assert await _counts(db) == before


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
    before = await _counts(db)
    with pytest.raises(error) as raised:
        await svc.book(Actor.staff("desk"), make_request(c, pid, lambda *a: _at(clock, *a)))
    assert raised.value.details["reason"] == reason
    assert await _counts(db) == before


async def test_sex_restriction_and_referral(db, clock, setup):
    c, _pid, svc = setup
    man = await adult(db, clock, 3, sex=Sex.MALE)
    with pytest.raises(RestrictionViolated) as raised:
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(man, c.ultrasound.id, c.internist.id, _at(clock, 1, 9), referral="X1"),
        )
    assert raised.value.details["reason"] == "sex"
    kid = await child(db, clock)
    booked = await svc.book(
        Actor.staff("desk"),
        VisitRequest(kid, c.child_visit.id, c.paediatrician.id, _at(clock, 1, 9)),
    )
    assert booked.id


async def test_channel_availability_is_enforced(db, clock, setup):
    c, _pid, svc = setup
    kid = await child(db, clock)
    # The paediatrician's slots are for the clinic's own channels, not for partners.
    with pytest.raises(OutsideAvailability):
        await svc.book(
            Actor.partner(Channel.ZNANYLEKARZ),
            VisitRequest(kid, c.child_visit.id, c.paediatrician.id, _at(clock, 1, 9)),
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
            VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, -1, 9)),
        )
    with pytest.raises(InvalidInput):
        await svc.book(
            Actor.patient(pid, Channel.TELEGRAM),
            VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9).replace(tzinfo=None)),
        )


async def test_cancel_goes_to_trash_and_restore_brings_it_back(db, clock, setup):
    c, pid, svc = setup
    actor = Actor.patient(pid, Channel.WHATSAPP)
    at = _at(clock, 2, 10)
    booking = await svc.book(actor, VisitRequest(pid, c.consult.id, c.internist.id, at))
    with pytest.raises(InvalidInput):
        await svc.cancel(actor, booking.id, "   ")
    cancelled = await svc.cancel(actor, booking.id, "wyjazd")
    assert (cancelled.status, cancelled.cancel_reason) == (BookingStatus.CANCELLED, "wyjazd")
    free = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.STAFF)
    assert at in [f.start_at for f in free]
    restored = await svc.restore(Actor.staff("anna.r"), booking.id)
    assert restored.status is BookingStatus.BOOKED
    assert restored.cancel_reason is None
    actions = [(h.action, h.actor_kind) for h in await svc.history(booking.id)]
    assert actions == [
        ("booked", ActorKind.PATIENT),
        ("cancelled", ActorKind.PATIENT),
        ("restored", ActorKind.STAFF),
    ]
    async with db.read() as session:
        kinds = [
            e.kind
            for e in (await session.execute(select(OutboxEvent).order_by(OutboxEvent.id))).scalars()
        ]
    assert kinds == [
        EventKind.BOOKED,
        EventKind.CANCELLED,
        EventKind.SLOT_FREED,
        EventKind.RESTORED,
    ]


async def test_restore_fails_when_the_time_was_taken(db, clock, setup):
    c, pid, svc = setup
    other = await adult(db, clock, 2)
    at = _at(clock, 2, 10)
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )
    await svc.cancel(Actor.staff("desk"), booking.id, "pomyłka")
    await svc.book(Actor.staff("desk"), VisitRequest(other, c.consult.id, c.internist.id, at))
    with pytest.raises(SlotTaken):
        await svc.restore(Actor.staff("desk"), booking.id)
    assert (await svc.get(booking.id)).status is BookingStatus.CANCELLED


async def test_reschedule_is_atomic(db, clock, setup):
    c, pid, svc = setup
    other = await adult(db, clock, 2)
    actor = Actor.patient(pid, Channel.TELEGRAM)
    first, second, third = _at(clock, 1, 9), _at(clock, 1, 10), _at(clock, 1, 11)
    booking = await svc.book(actor, VisitRequest(pid, c.consult.id, c.internist.id, first))
    await svc.book(Actor.staff("desk"), VisitRequest(other, c.consult.id, c.internist.id, second))
    with pytest.raises(SlotTaken):
        await svc.reschedule(actor, booking.id, doctor_id=c.internist.id, start_at=second)
    assert (await svc.get(booking.id)).start_at == first  # still has its old time
    moved = await svc.reschedule(actor, booking.id, doctor_id=c.internist.id, start_at=third)
    assert moved.start_at == third
    free = {
        f.start_at
        for f in await SlotSearch(db, clock).doctor_day(c.internist.id, first.date(), Channel.STAFF)
    }
    assert first in free
    assert third not in free
    last = (await svc.history(booking.id))[-1]
    assert last.action == "moved"
    assert last.changes["start_at"] == [
        first.astimezone(ZoneInfo("UTC")).isoformat(),
        third.astimezone(ZoneInfo("UTC")).isoformat(),
    ]


async def test_a_patient_cannot_touch_another_patients_booking(db, clock, setup):
    c, pid, svc = setup
    intruder = await adult(db, clock, 2)
    booking = await svc.book(
        Actor.patient(pid, Channel.TELEGRAM),
        VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9)),
    )
    mallory = Actor.patient(intruder, Channel.TELEGRAM)
    with pytest.raises(NotFound):
        await svc.cancel(mallory, booking.id, "nie moja")
    with pytest.raises(NotFound):
        await svc.reschedule(
            mallory, booking.id, doctor_id=c.internist.id, start_at=_at(clock, 1, 10)
        )
    with pytest.raises(NotFound):  # nor book in someone else's name
        await svc.book(mallory, VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 10)))
    assert (await svc.get(booking.id)).status is BookingStatus.BOOKED


async def test_status_flow(db, clock, setup):
    c, pid, svc = setup
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9))
    )
    patient = Actor.patient(pid, Channel.TELEGRAM)
    with pytest.raises(InvalidTransition):
        await svc.set_status(patient, booking.id, BookingStatus.ARRIVED)
    await svc.set_status(patient, booking.id, BookingStatus.CONFIRMED)
    for status in (BookingStatus.ARRIVED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED):
        await svc.set_status(Actor.staff("desk"), booking.id, status)
    with pytest.raises(InvalidTransition):
        await svc.cancel(Actor.staff("desk"), booking.id, "za późno")
    with pytest.raises(InvalidTransition):
        await svc.set_status(Actor.staff("desk"), booking.id, BookingStatus.BOOKED)
    updated = await svc.set_communication_status(
        Actor.system(), booking.id, CommunicationStatus.REMINDER_SENT
    )
    assert updated.communication_status is CommunicationStatus.REMINDER_SENT
    assert [h.action for h in await svc.history(booking.id)][-1] == "communication"


async def test_no_show_frees_the_time(db, clock, setup):
    c, pid, svc = setup
    at = _at(clock, 1, 9)
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )
    await svc.set_status(Actor.staff("desk"), booking.id, BookingStatus.NO_SHOW)
    async with db.read() as session:
        cells = (
            await session.execute(
                select(func.count())
                .select_from(Occupancy)
                .where(col(Occupancy.booking_id) == booking.id)
            )
        ).scalar_one()
    assert cells == 0


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
    at = _at(clock, 1, 9)
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
    assert (await _counts(db))["Hold"] == 0


async def test_release_gives_the_slot_back(db, clock, setup):
    c, _pid, svc = setup
    at = _at(clock, 1, 9)
    ticket = await svc.hold(Channel.TELEGRAM, c.consult.id, c.internist.id, at)
    await svc.release(ticket.token)
    found = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.TELEGRAM)
    assert at in [f.start_at for f in found]
    assert (await _counts(db))["Occupancy"] == 0


async def test_upcoming_lists_a_patients_active_visits(db, clock, setup):
    c, pid, svc = setup
    a = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 2, 9))
    )
    b = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9))
    )
    cancelled = await svc.book(
        Actor.staff("d"), VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 3, 9))
    )
    await svc.cancel(Actor.staff("d"), cancelled.id, "x")
    assert [x.id for x in await svc.upcoming(pid)] == [b.id, a.id]


async def test_oversized_input_is_a_domain_error_on_both_databases(db, clock, setup):
    c, pid, svc = setup
    before = await _counts(db)
    with pytest.raises(InvalidInput):
        await svc.book(
            Actor.staff("desk"),
            VisitRequest(
                pid, c.ultrasound.id, c.internist.id, _at(clock, 1, 9), referral="R" * 10_000
            ),
        )
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9))
    )
    with pytest.raises(InvalidInput):
        await svc.cancel(Actor.staff("desk"), booking.id, "x" * 501)
    assert (await _counts(db))["Booking"] == before["Booking"] + 1


async def test_a_patient_confirms_attendance_once_and_only_their_own(db, clock, setup):
    c, pid, svc = setup
    me = Actor.patient(pid, Channel.TELEGRAM)
    booking = await svc.book(me, VisitRequest(pid, c.consult.id, c.internist.id, _at(clock, 1, 9)))
    stranger = Actor.patient(await adult(db, clock, 2), Channel.TELEGRAM)

    with pytest.raises(NotFound):
        await svc.confirm_attendance(stranger, booking.id)
    confirmed = await svc.confirm_attendance(me, booking.id)
    again = await svc.confirm_attendance(me, booking.id)  # pressing twice is harmless

    assert (again.status, again.communication_status) == (
        BookingStatus.CONFIRMED,
        CommunicationStatus.CONFIRMED_BY_PATIENT,
    )
    assert confirmed.id == again.id
    await svc.cancel(me, booking.id, "plans")
    with pytest.raises(InvalidTransition):
        await svc.confirm_attendance(me, booking.id)


async def test_staff_act_only_within_their_reach_inside_the_transaction(db, clock, setup):
    c, pid, svc = setup
    at = _at(clock, 1, 9)
    elsewhere = Actor.staff("reg-wola", Reach(branch_ids=frozenset({c.branch.id + 1})))
    with pytest.raises(Forbidden):  # a new visit outside the registrar's branches
        await svc.book(elsewhere, VisitRequest(pid, c.consult.id, c.internist.id, at))
    here = Actor.staff("reg-mokotow", Reach(branch_ids=frozenset({c.branch.id})))
    booking = await svc.book(here, VisitRequest(pid, c.consult.id, c.internist.id, at))
    before = await _counts(db)
    with pytest.raises(NotFound):  # someone else's branch's visit is not there for them
        await svc.cancel(elsewhere, booking.id, "patient called")
    paediatrician = Actor.staff("dr-nowak", Reach(doctor_ids=frozenset({c.paediatrician.id})))
    with pytest.raises(NotFound):  # nor another doctor's
        await svc.set_status(paediatrician, booking.id, BookingStatus.IN_PROGRESS)
    internist = Actor.staff("dr-kowalska", Reach(doctor_ids=frozenset({c.internist.id})))
    with pytest.raises(Forbidden):  # a doctor does not move visits, even their own
        await svc.reschedule(
            internist, booking.id, doctor_id=c.internist.id, start_at=_at(clock, 1, 10)
        )
    assert await _counts(db) == before
    assert (await svc.get(booking.id)).status is BookingStatus.BOOKED
    moved = await svc.reschedule(
        here, booking.id, doctor_id=c.internist.id, start_at=_at(clock, 1, 10)
    )
    assert moved.start_at == _at(clock, 1, 10)
