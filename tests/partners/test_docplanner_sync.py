"""Sync with ZnanyLekarz/Docplanner against its fake: working time published, bookings both
ways, redeliveries, cancellations and moves in any order, conflicts, and the blocking
slot-booking request answered from our calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.models import (
    Booking,
    Contact,
    OutboxEvent,
    PartnerNotification,
    PartnerOperation,
    Patient,
)
from core.schedule.search import SlotSearch
from core.vocab import BookingStatus, Channel, ContactKind, EventKind
from partners.docplanner.notices import parse_notice
from testkit.factories import adult, count_rows, warsaw_at
from testkit.partner_setup import CONSULT_SERVICE, ZL, book_here, docplanner_rig, remote_id_of

PORTAL_PATIENT = {
    "name": "Jan",
    "surname": "Portalowy",
    "email": "Jan.Portalowy@example.com",
    "phone": "+48 600 100 200",
    "birth_date": "1975-03-04",
    "gender": "m",
}


def _portal_books(rig, at: datetime):
    return rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PORTAL_PATIENT)


async def test_publishes_working_time_and_a_booking_made_here_appears_there(db, clock):
    async with docplanner_rig(db, clock) as rig:
        assert await rig.sync.publish_all(ZL) == 12 * 7  # the mapped doctor, 12 weeks
        await rig.settle()
        tomorrow = warsaw_at(clock, 1, 8).date()
        periods = rig.fake.slots[(rig.address, tomorrow)]
        assert periods == [(warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 12))]
        assert (rig.address, tomorrow + timedelta(days=4)) not in rig.fake.slots  # a Saturday

        pid = await adult(db, clock)
        booking = await book_here(rig, pid, warsaw_at(clock, 1, 9))
        await rig.settle()
        [there] = rig.fake.active()
        assert there.start == warsaw_at(clock, 1, 9)
        assert there.patient["name"] == "Ewa"
        assert there.address_service_id == "as-1"
        assert await remote_id_of(rig, booking.id) == f"{rig.address}/{there.id}"
        # Working time is unchanged by a booking: the platform holds the booking itself.
        assert rig.fake.slots[(rig.address, tomorrow)] == periods

        moved = await rig.booking.reschedule(
            Actor.patient(pid, Channel.TELEGRAM),
            booking.id,
            doctor_id=rig.clinic.internist.id,
            start_at=warsaw_at(clock, 1, 10),
        )
        await rig.settle()
        [there_now] = rig.fake.active()
        assert there_now.start == warsaw_at(clock, 1, 10)
        assert there_now.id != there.id  # a move yields a new booking id there
        assert rig.fake.bookings[there.id].status == "moved"
        assert await remote_id_of(rig, moved.id) == f"{rig.address}/{there_now.id}"

        await rig.booking.cancel(Actor.patient(pid, Channel.TELEGRAM), booking.id, "sick")
        await rig.settle()
        assert rig.fake.active() == []
        assert await remote_id_of(rig, booking.id) is None


async def test_a_partner_booking_appears_here_once_and_leaves_the_bot(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        at = warsaw_at(clock, 2, 9)
        raw = rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PORTAL_PATIENT)

        notice = parse_notice(raw)
        assert await rig.inbox.receive(ZL, [notice]) == 1
        assert await rig.inbox.receive(ZL, [notice]) == 0  # redelivered push: stored once
        report = await rig.inbox.apply_pending()
        assert report.applied == 1
        # The same event pulled later is the same notice: nothing new.
        await rig.client.pull(partial(rig.inbox.receive, ZL))
        assert await count_rows(db, PartnerNotification) == 1
        assert (await rig.inbox.apply_pending()).applied == 0

        async with db.read() as session:
            [booking] = (await session.execute(select(Booking))).scalars()
            patient = await session.get(Patient, booking.patient_id)
            emails = (
                await session.execute(
                    select(col(Contact.value)).where(col(Contact.kind) == ContactKind.EMAIL)
                )
            ).scalars()
        assert booking.source is Channel.ZNANYLEKARZ
        assert booking.start_at == at
        assert patient.needs_verification
        assert list(emails) == ["jan.portalowy@example.com"]

        free = await SlotSearch(db, clock).doctor_day(
            rig.clinic.internist.id, at.date(), Channel.TELEGRAM, rig.clinic.consult.id
        )
        assert at not in [s.start_at for s in free]

        # Nothing of it goes back to the partner: it has it already.
        await rig.settle()
        assert len(rig.fake.bookings) == 1
        assert await count_rows(db, PartnerOperation, col(PartnerOperation.kind) == "book") == 0

        # Their next booking by the same e-mail finds the same card.
        raw = rig.fake.patient_books(
            rig.address, warsaw_at(clock, 2, 10), CONSULT_SERVICE, PORTAL_PATIENT
        )
        await rig.inbox.receive(ZL, [parse_notice(raw)])
        await rig.inbox.apply_pending()
        assert await count_rows(db, Patient) == 1


async def test_partner_cancellations_and_moves_are_applied_in_any_order(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        first = rig.fake.patient_books(
            rig.address, warsaw_at(clock, 2, 9), CONSULT_SERVICE, PORTAL_PATIENT
        )
        first_id = first["data"]["visit_booking"]["id"]
        moved = rig.fake.patient_moves(first_id, warsaw_at(clock, 2, 11))
        second = rig.fake.patient_books(
            rig.address, warsaw_at(clock, 3, 9), CONSULT_SERVICE, PORTAL_PATIENT
        )
        cancelled = rig.fake.patient_cancels(second["data"]["visit_booking"]["id"])
        # Out of order and duplicated: each cancellation and move before its booking.
        for raw in (cancelled, moved, cancelled, first, second, moved):
            await rig.inbox.receive(ZL, [parse_notice(raw)])
        await rig.inbox.apply_pending()

        async with db.read() as session:
            bookings = list((await session.execute(select(Booking))).scalars())
        assert [(b.start_at, b.status) for b in bookings] == [
            (warsaw_at(clock, 2, 11), BookingStatus.BOOKED)
        ]
        new_id = moved["data"]["new_visit_booking"]["id"]
        assert await remote_id_of(rig, bookings[0].id) == f"{rig.address}/{new_id}"

        # Cancelled there after all: cancelled here, the time free again.
        raw = rig.fake.patient_cancels(new_id)
        await rig.inbox.receive(ZL, [parse_notice(raw)])
        await rig.inbox.apply_pending()
        async with db.read() as session:
            booking = await session.get(Booking, bookings[0].id)
        assert booking.status is BookingStatus.CANCELLED
        await rig.settle()
        assert rig.fake.active() == []  # and nothing was echoed back as a new booking


async def test_a_partner_booking_for_a_time_taken_here_is_cancelled_there(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        at = warsaw_at(clock, 2, 9)
        pid = await adult(db, clock)
        rig.fake.down = True  # our booking cannot reach them yet
        mine = await book_here(rig, pid, at)
        await rig.sync.run_once()
        raw = rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PORTAL_PATIENT)
        rig.fake.down = False
        await rig.inbox.receive(ZL, [parse_notice(raw)])
        report = await rig.inbox.apply_pending()
        assert report.refused == 1

        for _ in range(3):  # ours may meet theirs there first: it is tried again
            clock.advance(timedelta(minutes=5))
            await rig.settle()
        theirs = rig.fake.bookings[raw["data"]["visit_booking"]["id"]]
        assert theirs.status == "cancelled"
        [ours_there] = rig.fake.active()
        assert ours_there.start == at
        assert await remote_id_of(rig, mine.id) == f"{rig.address}/{ours_there.id}"
        assert (
            await count_rows(db, OutboxEvent, col(OutboxEvent.kind) == EventKind.PARTNER_CONFLICT)
            == 1
        )
        async with db.read() as session:
            [stored] = (await session.execute(select(PartnerNotification))).scalars()
        assert stored.outcome == "refused: slot_taken"


async def test_blocking_slot_booking_is_answered_from_our_calendar(db, clock):
    async with docplanner_rig(db, clock) as rig:
        pid = await adult(db, clock)
        taken = warsaw_at(clock, 2, 9)
        await book_here(rig, pid, taken)
        refused = parse_notice(
            rig.fake.slot_booking_request(rig.address, taken, CONSULT_SERVICE, PORTAL_PATIENT)
        )
        decision = await rig.inbox.decide(ZL, refused)
        assert not decision.accepted
        assert decision.reason == "slot_taken"

        free = warsaw_at(clock, 2, 10)
        request = rig.fake.slot_booking_request(rig.address, free, CONSULT_SERVICE, PORTAL_PATIENT)
        assert (await rig.inbox.decide(ZL, parse_notice(request))).accepted
        async with db.read() as session:
            [mine] = await session.execute(select(Booking).where(Booking.start_at == free))
        # The `slot-booked` that follows is the same booking: it takes its id there.
        booked = rig.fake.complete_booking(request["data"]["visit_booking_request"]["signature"])
        await rig.inbox.receive(ZL, [parse_notice(booked)])
        await rig.inbox.apply_pending()
        assert await count_rows(db, Booking, col(Booking.start_at) == free) == 1
        there = booked["data"]["visit_booking"]["id"]
        assert await remote_id_of(rig, mine[0].id) == f"{rig.address}/{there}"
        # A refused blocking request was answered already: nothing to cancel there.
        assert await count_rows(db, PartnerOperation, col(PartnerOperation.kind) == "cancel") == 0
        # Cancelled here, it is cancelled there under that id.
        await rig.booking.cancel(Actor.staff("desk"), mine[0].id, "clinic closed")
        await rig.settle()
        assert rig.fake.bookings[there].status == "cancelled"


async def test_the_catalog_for_mapping_lists_each_doctors_addresses_and_the_dictionary(db, clock):
    async with docplanner_rig(db, clock) as rig:
        rig.fake.dictionary[CONSULT_SERVICE] = "Konsultacja internistyczna"
        second = rig.fake.add_address("301", "9002", "Anna Kowalska", {"as-2": CONSULT_SERVICE})
        found = await rig.client.catalog()
        doctors = sorted(e["id"] for e in found if e["kind"] == "doctor")
        assert doctors == sorted([rig.address, second])
        assert {"kind": "service", "id": CONSULT_SERVICE, "name": "Konsultacja internistyczna"} in (
            found
        )
