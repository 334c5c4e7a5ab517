"""What happens to a booking after it is made (core/booking/service.py): cancel to the trash
and restore, reschedule atomically, statuses and no-shows, attendance confirmed, and who may
touch it (the patient their own, staff within their reach)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor, Reach
from core.booking.placement import VisitRequest
from core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, SlotTaken
from core.models import Occupancy, OutboxEvent
from core.schedule.search import SlotSearch
from core.vocab import ActorKind, BookingStatus, Channel, CommunicationStatus, EventKind
from testkit.factories import adult, row_counts, warsaw_at


async def test_cancel_goes_to_trash_and_restore_brings_it_back(db, clock, setup):
    c, pid, svc = setup
    actor = Actor.patient(pid, Channel.WHATSAPP)
    at = warsaw_at(clock, 2, 10)
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
    at = warsaw_at(clock, 2, 10)
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
    first, second, third = warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), warsaw_at(clock, 1, 11)
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
        VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9)),
    )
    mallory = Actor.patient(intruder, Channel.TELEGRAM)
    with pytest.raises(NotFound):
        await svc.cancel(mallory, booking.id, "nie moja")
    with pytest.raises(NotFound):
        await svc.reschedule(
            mallory, booking.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 1, 10)
        )
    with pytest.raises(NotFound):  # nor book in someone else's name
        await svc.book(
            mallory, VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 10))
        )
    assert (await svc.get(booking.id)).status is BookingStatus.BOOKED


async def test_status_flow(db, clock, setup):
    c, pid, svc = setup
    booking = await svc.book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9))
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
    at = warsaw_at(clock, 1, 9)
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


async def test_a_patient_confirms_attendance_once_and_only_their_own(db, clock, setup):
    c, pid, svc = setup
    me = Actor.patient(pid, Channel.TELEGRAM)
    booking = await svc.book(
        me, VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9))
    )
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
    at = warsaw_at(clock, 1, 9)
    elsewhere = Actor.staff("reg-wola", Reach(branch_ids=frozenset({c.branch.id + 1})))
    with pytest.raises(Forbidden):  # a new visit outside the registrar's branches
        await svc.book(elsewhere, VisitRequest(pid, c.consult.id, c.internist.id, at))
    here = Actor.staff("reg-mokotow", Reach(branch_ids=frozenset({c.branch.id})))
    booking = await svc.book(here, VisitRequest(pid, c.consult.id, c.internist.id, at))
    before = await row_counts(db)
    with pytest.raises(NotFound):  # someone else's branch's visit is not there for them
        await svc.cancel(elsewhere, booking.id, "patient called")
    paediatrician = Actor.staff("dr-nowak", Reach(doctor_ids=frozenset({c.paediatrician.id})))
    with pytest.raises(NotFound):  # nor another doctor's
        await svc.set_status(paediatrician, booking.id, BookingStatus.IN_PROGRESS)
    internist = Actor.staff("dr-kowalska", Reach(doctor_ids=frozenset({c.internist.id})))
    with pytest.raises(Forbidden):  # a doctor does not move visits, even their own
        await svc.reschedule(
            internist, booking.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 1, 10)
        )
    assert await row_counts(db) == before
    assert (await svc.get(booking.id)).status is BookingStatus.BOOKED
    moved = await svc.reschedule(
        here, booking.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 1, 10)
    )
    assert moved.start_at == warsaw_at(clock, 1, 10)
