"""Sync with ZnanyLekarz/Docplanner against its fake: bookings both ways, redeliveries,
conflicts, refusals staff settle, and an outage with a thousand changes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.models import (
    Booking,
    Contact,
    OutboxEvent,
    PartnerBooking,
    PartnerNotification,
    PartnerOperation,
    Patient,
)
from core.partners.sync import SyncReport
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import (
    BookingStatus,
    Channel,
    ContactKind,
    EventKind,
    PartnerOpKind,
    PartnerOpStatus,
)
from partners.docplanner.sansio import parse_notice
from testkit.factories import adult
from testkit.partner_setup import CONSULT_SERVICE, ZL, docplanner_rig

WARSAW = ZoneInfo("Europe/Warsaw")
PORTAL_PATIENT = {
    "name": "Jan",
    "surname": "Portalowy",
    "email": "Jan.Portalowy@example.com",
    "phone": "+48 600 100 200",
    "birth_date": "1975-03-04",
    "gender": "m",
}


def _at(clock, days: int, hh: int, mm: int = 0) -> datetime:
    day = clock.now().date() + timedelta(days=days)
    return datetime.combine(day, time(hh, mm), tzinfo=WARSAW)


async def _book_here(rig, pid: int, at: datetime):
    c = rig.clinic
    return await rig.booking.book(
        Actor.patient(pid, Channel.TELEGRAM), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )


def _portal_books(rig, at: datetime):
    return rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PORTAL_PATIENT)


async def _link(rig, booking_id: int):
    async with rig.db.read() as session:
        return (
            await session.execute(
                select(col(PartnerBooking.remote_id)).where(
                    col(PartnerBooking.booking_id) == booking_id
                )
            )
        ).scalar()


async def _count(db, model, *where):
    async with db.read() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return (await session.execute(query)).scalar_one()


async def test_publishes_working_time_and_a_booking_made_here_appears_there(db, clock):
    async with docplanner_rig(db, clock) as rig:
        assert await rig.sync.publish_all(ZL) == 12 * 7 + 1  # the mapped doctor, 12 weeks
        await rig.settle()
        tomorrow = _at(clock, 1, 8).date()
        periods = rig.fake.slots[(rig.address, tomorrow)]
        assert periods == [(_at(clock, 1, 8), _at(clock, 1, 12))]
        assert (rig.address, tomorrow + timedelta(days=4)) not in rig.fake.slots  # a Saturday

        pid = await adult(db, clock)
        booking = await _book_here(rig, pid, _at(clock, 1, 9))
        await rig.settle()
        [there] = rig.fake.active()
        assert there.start == _at(clock, 1, 9)
        assert there.patient["name"] == "Ewa"
        assert there.address_service_id == "as-1"
        assert await _link(rig, booking.id) == f"{rig.address}/{there.id}"
        # Working time is unchanged by a booking: the platform holds the booking itself.
        assert rig.fake.slots[(rig.address, tomorrow)] == periods

        moved = await rig.booking.reschedule(
            Actor.patient(pid, Channel.TELEGRAM),
            booking.id,
            doctor_id=rig.clinic.internist.id,
            start_at=_at(clock, 1, 10),
        )
        await rig.settle()
        [there_now] = rig.fake.active()
        assert there_now.start == _at(clock, 1, 10)
        assert there_now.id != there.id  # a move yields a new booking id there
        assert rig.fake.bookings[there.id].status == "moved"
        assert await _link(rig, moved.id) == f"{rig.address}/{there_now.id}"

        await rig.booking.cancel(Actor.patient(pid, Channel.TELEGRAM), booking.id, "sick")
        await rig.settle()
        assert rig.fake.active() == []
        assert await _link(rig, booking.id) is None


async def test_a_partner_booking_appears_here_once_and_leaves_the_bot(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        at = _at(clock, 2, 9)
        raw = rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PORTAL_PATIENT)

        notice = parse_notice(raw)
        assert await rig.inbox.receive(ZL, [notice]) == 1
        assert await rig.inbox.receive(ZL, [notice]) == 0  # redelivered push: stored once
        report = await rig.inbox.apply_pending()
        assert report.applied == 1
        # The same event pulled later is the same notice: nothing new.
        assert await rig.inbox.receive(ZL, await rig.client.pull()) == 0
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
        assert await _count(db, PartnerOperation, col(PartnerOperation.kind) == "book") == 0

        # Their next booking by the same e-mail finds the same card.
        raw = rig.fake.patient_books(
            rig.address, _at(clock, 2, 10), CONSULT_SERVICE, PORTAL_PATIENT
        )
        await rig.inbox.receive(ZL, [parse_notice(raw)])
        await rig.inbox.apply_pending()
        assert await _count(db, Patient) == 1


async def test_partner_cancellations_and_moves_are_applied_in_any_order(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        first = rig.fake.patient_books(
            rig.address, _at(clock, 2, 9), CONSULT_SERVICE, PORTAL_PATIENT
        )
        first_id = first["data"]["visit_booking"]["id"]
        moved = rig.fake.patient_moves(first_id, _at(clock, 2, 11))
        second = rig.fake.patient_books(
            rig.address, _at(clock, 3, 9), CONSULT_SERVICE, PORTAL_PATIENT
        )
        cancelled = rig.fake.patient_cancels(second["data"]["visit_booking"]["id"])
        # Out of order and duplicated: each cancellation and move before its booking.
        for raw in (cancelled, moved, cancelled, first, second, moved):
            await rig.inbox.receive(ZL, [parse_notice(raw)])
        await rig.inbox.apply_pending()

        async with db.read() as session:
            bookings = list((await session.execute(select(Booking))).scalars())
        assert [(b.start_at, b.status) for b in bookings] == [
            (_at(clock, 2, 11), BookingStatus.BOOKED)
        ]
        new_id = moved["data"]["new_visit_booking"]["id"]
        assert await _link(rig, bookings[0].id) == f"{rig.address}/{new_id}"

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
        at = _at(clock, 2, 9)
        pid = await adult(db, clock)
        rig.fake.down = True  # our booking cannot reach them yet
        mine = await _book_here(rig, pid, at)
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
        assert await _link(rig, mine.id) == f"{rig.address}/{ours_there.id}"
        assert (
            await _count(db, OutboxEvent, col(OutboxEvent.kind) == EventKind.PARTNER_CONFLICT) == 1
        )
        async with db.read() as session:
            [stored] = (await session.execute(select(PartnerNotification))).scalars()
        assert stored.outcome == "refused: slot_taken"


async def test_blocking_slot_booking_is_answered_from_our_calendar(db, clock):
    async with docplanner_rig(db, clock) as rig:
        pid = await adult(db, clock)
        taken = _at(clock, 2, 9)
        await _book_here(rig, pid, taken)
        refused = parse_notice(
            rig.fake.slot_booking_request(rig.address, taken, CONSULT_SERVICE, PORTAL_PATIENT)
        )
        decision = await rig.inbox.decide(ZL, refused)
        assert not decision.accepted
        assert decision.reason == "slot_taken"

        free = _at(clock, 2, 10)
        accepted = parse_notice(
            rig.fake.slot_booking_request(rig.address, free, CONSULT_SERVICE, PORTAL_PATIENT)
        )
        assert (await rig.inbox.decide(ZL, accepted)).accepted
        # The `slot-booked` that follows is about the same booking: nothing more.
        booked = rig.fake._payload(
            "slot-booked", rig.fake.bookings[accepted.remote_booking_id.split("/")[-1]]
        )
        await rig.inbox.receive(ZL, [parse_notice(booked)])
        await rig.inbox.apply_pending()
        assert await _count(db, Booking, col(Booking.start_at) == free) == 1
        # A refused blocking request was answered already: nothing to cancel there.
        assert await _count(db, PartnerOperation, col(PartnerOperation.kind) == "cancel") == 0


async def test_a_refusal_waits_for_staff_who_retry_or_discard_it(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        booking = await _book_here(rig, pid, _at(clock, 1, 9))
        rig.fake.fail_next(422)
        await rig.settle()
        [failure] = await rig.desk.failures(ZL)
        assert failure.kind is PartnerOpKind.BOOK
        assert failure.booking_id == booking.id
        assert failure.error == "HTTP 422: injected failure"

        # The cancellation waits behind the refused booking: order per visit holds.
        await rig.booking.cancel(Actor.patient(pid, Channel.TELEGRAM), booking.id, "sick")
        await rig.settle()
        async with db.read() as session:
            cancel = (
                await session.execute(
                    select(PartnerOperation).where(col(PartnerOperation.kind) == "cancel")
                )
            ).scalar_one()
        assert cancel.status is PartnerOpStatus.PENDING
        assert cancel.attempts == 0

        await rig.desk.retry(ZL, failure.id)
        await rig.settle()
        assert await rig.desk.failures(ZL) == []
        [there] = rig.fake.bookings.values()
        assert there.status == "cancelled"  # booked, then cancelled: in order

        second = await _book_here(rig, pid, _at(clock, 1, 10))
        rig.fake.fail_next(400)
        await rig.settle()
        [failure] = await rig.desk.failures(ZL)
        await rig.desk.discard(ZL, failure.id)
        assert await rig.desk.failures(ZL) == []
        with pytest.raises(Exception, match="no such failed operation"):
            await rig.desk.retry(ZL, failure.id)
        assert await _link(rig, second.id) is None


async def test_429_and_5xx_come_back_after_retry_after_with_backoff(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        await _book_here(rig, pid, _at(clock, 1, 9))
        await rig.sync.plan(rig.client, SyncReport())
        rig.fake.fail_next(429, retry_after=120)
        report = await rig.sync.run_once()
        assert report.retried == 1
        async with db.read() as session:
            op = (
                await session.execute(
                    select(PartnerOperation).where(col(PartnerOperation.kind) == "book")
                )
            ).scalar_one()
        assert op.next_attempt_at >= clock.now() + timedelta(seconds=120)
        assert "429" in op.error
        clock.advance(timedelta(seconds=60))
        assert (await rig.sync.run_once()).delivered == 0  # Retry-After honoured
        clock.advance(timedelta(seconds=61))
        rig.fake.fail_next(500)
        assert (await rig.sync.run_once()).retried == 1
        clock.advance(timedelta(minutes=3))
        assert (await rig.sync.run_once()).delivered == 1
        assert len(rig.fake.active()) == 1


async def test_a_stale_token_is_replaced_and_a_slow_partner_is_a_retry(db, clock):
    async with docplanner_rig(db, clock, request_seconds=0.3) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        rig.fake.expire_tokens()
        pid = await adult(db, clock)
        await _book_here(rig, pid, _at(clock, 1, 9))
        assert (await rig.sync.run_once()).retried == 0  # a 401, a new token, the booking
        assert len(rig.fake.active()) == 1
        assert rig.fake.requests.count(("POST", "/oauth/v2/token")) == 2

        await _book_here(rig, pid, _at(clock, 1, 10))
        rig.fake.delay = 0.5
        assert (await rig.sync.run_once()).retried >= 1
        assert len(rig.fake.active()) == 1
        rig.fake.delay = 0
        clock.advance(timedelta(minutes=3))
        await rig.settle()
        assert len(rig.fake.active()) == 2


async def test_a_lost_worker_claims_come_back_after_the_lease(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        await _book_here(rig, pid, _at(clock, 1, 9))
        await rig.sync.plan(rig.client, report := SyncReport())
        assert report.planned >= 1
        claimed = await rig.sync.claim(ZL)  # ...and the worker dies here
        assert claimed
        assert await rig.sync.claim(ZL) == []  # nobody else takes them meanwhile
        clock.advance(timedelta(minutes=2))
        assert await rig.sync.recover() == len(claimed)
        await rig.settle()
        assert len(rig.fake.active()) == 1


@pytest.mark.slow
async def test_an_outage_with_a_thousand_changes_converges_with_nothing_lost_or_doubled(db, clock):
    async with docplanner_rig(db, clock, days=42) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        search = SlotSearch(db, clock)
        free = await search.find(
            SlotQuery(
                channel=Channel.TELEGRAM,
                service_id=rig.clinic.consult.id,
                doctor_id=rig.clinic.internist.id,
                end=clock.now() + timedelta(weeks=6),
                limit=100,
            )
        )
        more = await search.find(
            SlotQuery(
                channel=Channel.TELEGRAM,
                service_id=rig.clinic.consult.id,
                doctor_id=rig.clinic.internist.id,
                start=free[-1].start_at + timedelta(minutes=1),
                end=clock.now() + timedelta(weeks=6),
                limit=100,
            )
        )
        starts = [s.start_at for s in [*free, *more]][:200]
        assert len(starts) == 200
        pids = [await adult(db, clock, n) for n in range(1, 31)]

        rig.fake.down = True
        outage_end = clock.now() + timedelta(minutes=5)
        changes = 0
        bookings: list[int] = []
        for i, at in enumerate(starts[:150]):
            pid = pids[i % len(pids)]
            bookings.append((await _book_here(rig, pid, at)).id)
            changes += 1
        actor = Actor.staff("desk")
        for i, booking_id in enumerate(bookings):
            if i % 3 == 0:
                await rig.booking.cancel(actor, booking_id, "rescheduled by phone")
                await rig.booking.restore(actor, booking_id)
                changes += 2
            if i % 3 == 1:
                await rig.booking.reschedule(
                    actor,
                    booking_id,
                    doctor_id=rig.clinic.internist.id,
                    start_at=starts[150 + i // 3],
                )
                changes += 1
        for booking_id in bookings:
            await rig.booking.cancel(actor, booking_id, "clinic closed that day")
            changes += 1
            if booking_id % 2 == 0:
                await rig.booking.restore(actor, booking_id)
                changes += 1
            if changes >= 1000:
                break
        while changes < 1000:
            booking_id = bookings[changes % len(bookings)]
            async with db.read() as session:
                status = (await session.get(Booking, booking_id)).status
            if status is BookingStatus.CANCELLED:
                await rig.booking.restore(actor, booking_id)
            else:
                await rig.booking.cancel(actor, booking_id, "again")
            changes += 1
        # Workers keep trying through the outage.
        while clock.now() < outage_end:
            await rig.sync.run_once()
            clock.advance(timedelta(seconds=30))
        assert rig.fake.active() == []

        rig.fake.down = False
        for _ in range(40):
            clock.advance(timedelta(minutes=2))
            await rig.settle()
        async with db.read() as session:
            open_ops = (
                await session.execute(
                    select(func.count())
                    .select_from(PartnerOperation)
                    .where(col(PartnerOperation.status).in_(["pending", "claimed", "failed"]))
                )
            ).scalar_one()
            active = list(
                (
                    await session.execute(
                        select(Booking).where(col(Booking.status) == BookingStatus.BOOKED)
                    )
                ).scalars()
            )
            links = dict(
                (
                    await session.execute(
                        select(col(PartnerBooking.booking_id), col(PartnerBooking.remote_id))
                    )
                ).all()
            )
        assert open_ops == 0
        there = rig.fake.active()
        # Nothing lost: every visit active here is there, at its time, once.
        assert sorted(b.start_at for b in active) == sorted(b.start for b in there)
        assert {links[b.id] for b in active} == {b.ref for b in there}
        # Nothing doubled: one booking there per visit here, none left over.
        assert len(there) == len(active) == len(links) > 50
