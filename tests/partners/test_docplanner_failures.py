"""Sync with ZnanyLekarz/Docplanner when things fail, against its fake: refusals staff settle,
429 and 5xx retried with back-off, a stale token, a slow partner, a lost worker's claims,
and an outage with a thousand changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor
from core.models import Booking, PartnerBooking, PartnerOperation
from core.partners.sync import SyncReport
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import BookingStatus, Channel, PartnerOpKind, PartnerOpStatus
from testkit.factories import adult, warsaw_at
from testkit.partner_setup import ZL, book_here, docplanner_rig, remote_id_of


async def test_a_refusal_waits_for_staff_who_retry_or_discard_it(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        booking = await book_here(rig, pid, warsaw_at(clock, 1, 9))
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

        second = await book_here(rig, pid, warsaw_at(clock, 1, 10))
        rig.fake.fail_next(400)
        await rig.settle()
        [failure] = await rig.desk.failures(ZL)
        await rig.desk.discard(ZL, failure.id)
        assert await rig.desk.failures(ZL) == []
        with pytest.raises(Exception, match="no such failed operation"):
            await rig.desk.retry(ZL, failure.id)
        assert await remote_id_of(rig, second.id) is None


async def test_429_and_5xx_come_back_after_retry_after_with_backoff(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        await book_here(rig, pid, warsaw_at(clock, 1, 9))
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
        await book_here(rig, pid, warsaw_at(clock, 1, 9))
        assert (await rig.sync.run_once()).retried == 0  # a 401, a new token, the booking
        assert len(rig.fake.active()) == 1
        assert rig.fake.requests.count(("POST", "/oauth/v2/token")) == 2

        await book_here(rig, pid, warsaw_at(clock, 1, 10))
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
        await book_here(rig, pid, warsaw_at(clock, 1, 9))
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
            bookings.append((await book_here(rig, pid, at)).id)
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
