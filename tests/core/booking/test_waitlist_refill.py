"""The waiting list that refills freed time: an offer's time to answer starts when the
patient can be told (quiet hours), the next batch after a delay, nothing past the cut-off,
automatic booking for those who opted in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.booking.waitlist_report import refill_report
from core.models import Hold, WaitlistEntry, WaitlistOffer
from core.vocab import BookingStatus, Channel, OfferStatus, WaitlistStatus
from testkit.factories import adult, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")
POLICY = WaitlistPolicy(
    offer_ttl=timedelta(minutes=30),
    fan_out=2,
    batch_delay=timedelta(minutes=15),
    cutoff=timedelta(hours=2),
)


async def _world(db, clock, *, visit: datetime, auto: tuple[int, ...] = ()):
    c = await small_clinic(db, clock)
    holder = await adult(db, clock, 1)
    waiting = [await adult(db, clock, n) for n in (2, 3, 4, 5, 6)]
    bookings = BookingService(db, clock, waitlist=POLICY)
    waitlist = WaitlistService(db, clock, POLICY)
    assert c.consult.id is not None
    assert c.internist.id is not None
    booking = await bookings.book(
        Actor.staff("desk"), VisitRequest(holder, c.consult.id, c.internist.id, visit)
    )
    for n, pid in enumerate(waiting):
        await waitlist.join(
            WaitRequest(
                patient_id=pid,
                channel=Channel.TELEGRAM,
                doctor_id=c.internist.id,
                auto_book=n in auto,
            )
        )
        clock.advance(timedelta(seconds=1))
    return bookings, waitlist, booking, waiting


async def _offers(db) -> list[WaitlistOffer]:
    async with db.read() as session:
        rows = await session.execute(select(WaitlistOffer).order_by(col(WaitlistOffer.id)))
        return list(rows.scalars())


async def test_an_offer_made_at_night_gives_its_time_to_answer_after_quiet_hours(db, clock):
    # Found when trying it: offered at 23:19 UTC, expired at 23:49, told at 07:00 UTC.
    visit = datetime(2026, 12, 2, 11, 0, tzinfo=WARSAW)
    bookings, waitlist, booking, _waiting = await _world(db, clock, visit=visit)
    clock.set(datetime(2026, 12, 1, 23, 19, tzinfo=UTC))
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    offers = await _offers(db)
    told = datetime(2026, 12, 2, 8, 0, tzinfo=WARSAW)  # quiet hours end (07:00 UTC)
    assert offers
    assert {o.told_at for o in offers} == {told}
    assert {o.expires_at for o in offers} == {told + timedelta(minutes=30)}
    clock.set(datetime(2026, 12, 1, 23, 50, tzinfo=UTC))
    assert await waitlist.sweep() == 0  # still open: nobody could have been told yet
    assert all(o.status is OfferStatus.OPEN for o in await _offers(db))


async def test_the_next_batch_is_offered_after_the_delay_while_nobody_took_it(db, clock):
    visit = datetime.combine(clock.now().date() + timedelta(days=1), time(11), tzinfo=WARSAW)
    bookings, waitlist, booking, waiting = await _world(db, clock, visit=visit)
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    assert [o.entry_id for o in await _offers(db)] == [1, 2]
    clock.advance(timedelta(minutes=10))
    await waitlist.sweep()
    assert len(await _offers(db)) == 2  # the delay is not over
    clock.advance(timedelta(minutes=6))
    await waitlist.sweep()
    offers = await _offers(db)
    assert [o.entry_id for o in offers] == [1, 2, 3, 4]
    assert len({o.hold_token for o in offers}) == 1  # one held time, offered to both batches
    # The later batch's patient takes it: the first batch's offers are gone.
    won = await waitlist.accept(Actor.patient(waiting[3], Channel.TELEGRAM), offers[3].id)
    assert (await bookings.get(won)).patient_id == waiting[3]
    statuses = [o.status for o in await _offers(db)]
    assert statuses == [OfferStatus.GONE] * 3 + [OfferStatus.ACCEPTED]


async def test_nothing_is_offered_past_the_cut_off_and_the_hold_ends_there(db, clock):
    visit = clock.now() + timedelta(hours=2, minutes=15)
    bookings, waitlist, booking, _waiting = await _world(db, clock, visit=visit)
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    offers = await _offers(db)
    cutoff = visit - POLICY.cutoff
    assert {o.expires_at for o in offers} == {cutoff}  # 30 min would pass the cut-off
    async with db.read() as session:
        (hold,) = (await session.execute(select(Hold))).scalars()
    assert hold.expires_at == cutoff
    clock.advance(timedelta(minutes=16))
    await waitlist.sweep()
    assert len(await _offers(db)) == 2  # the next batch could not answer before the cut-off


async def test_a_time_freed_too_close_to_the_visit_is_offered_to_nobody(db, clock):
    visit = clock.now() + timedelta(hours=1, minutes=30)
    bookings, _waitlist, booking, _waiting = await _world(db, clock, visit=visit)
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    assert await _offers(db) == []


@pytest.mark.parametrize("auto", [(0,), (1,)])
async def test_a_patient_who_opted_in_is_booked_at_once(db, clock, auto):
    visit = datetime.combine(clock.now().date() + timedelta(days=1), time(11), tzinfo=WARSAW)
    bookings, _waitlist, booking, waiting = await _world(db, clock, visit=visit, auto=auto)
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    (offer,) = await _offers(db)
    assert (offer.status, offer.auto) == (OfferStatus.ACCEPTED, True)
    async with db.read() as session:
        entry = await session.get_one(WaitlistEntry, offer.entry_id)
        assert (await session.execute(select(Hold))).first() is None  # the hold was redeemed
    assert entry.status is WaitlistStatus.BOOKED
    booked = await bookings.get(entry.booking_id)
    assert booked.patient_id == waiting[auto[0]]
    assert (booked.status, booked.start_at) == (BookingStatus.BOOKED, visit)


async def test_the_report_says_how_much_freed_time_was_refilled(db, clock):
    visit = datetime.combine(clock.now().date() + timedelta(days=1), time(11), tzinfo=WARSAW)
    bookings, waitlist, booking, waiting = await _world(db, clock, visit=visit)
    since = clock.now()
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    empty = await refill_report(db, since, clock.now() + timedelta(seconds=1))
    assert (empty.freed_minutes, empty.refilled_minutes, empty.share) == (15, 0, 0.0)
    first = (await _offers(db))[0]
    await waitlist.accept(Actor.patient(waiting[0], Channel.TELEGRAM), first.id)
    report = await refill_report(db, since, clock.now() + timedelta(seconds=1))
    assert (report.freed_visits, report.refilled_visits, report.share) == (1, 1, 1.0)
