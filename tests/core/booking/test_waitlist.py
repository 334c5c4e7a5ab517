"""The waiting list: a freed time is held for waiting patients, first acceptance wins."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.errors import InvalidInput, NotFound, OfferGone
from core.models import OutboxEvent, WaitlistEntry, WaitlistOffer
from core.schedule.search import SlotSearch
from core.vocab import BookingStatus, Channel, EventKind, OfferStatus, WaitlistStatus
from testkit.factories import adult, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
async def world(db, clock):
    c = await small_clinic(db, clock)
    holder = await adult(db, clock, 1)
    waiting = [await adult(db, clock, n) for n in (2, 3, 4, 5)]
    policy = WaitlistPolicy(offer_ttl=timedelta(minutes=30), fan_out=2)
    bookings = BookingService(db, clock, waitlist=policy)
    waitlist = WaitlistService(db, clock, policy)
    at = datetime.combine(clock.now().date() + timedelta(days=1), time(9), tzinfo=WARSAW)
    booking = await bookings.book(
        Actor.staff("desk"), VisitRequest(holder, c.consult.id, c.internist.id, at)
    )
    for pid in waiting:
        await waitlist.join(
            WaitRequest(patient_id=pid, channel=Channel.TELEGRAM, doctor_id=c.internist.id)
        )
        clock.advance(timedelta(seconds=1))  # join order is offer order
    return c, bookings, waitlist, booking, waiting, at


async def _offers(db) -> list[WaitlistOffer]:
    async with db.read() as session:
        return list(
            (await session.execute(select(WaitlistOffer).order_by(col(WaitlistOffer.id)))).scalars()
        )


async def _events(db, kind) -> list[OutboxEvent]:
    async with db.read() as session:
        return list(
            (
                await session.execute(select(OutboxEvent).where(col(OutboxEvent.kind) == kind))
            ).scalars()
        )


async def test_cancellation_offers_the_time_to_the_first_waiting_and_holds_it(db, clock, world):
    c, bookings, _wl, booking, waiting, at = world
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    offers = await _offers(db)
    assert [o.entry_id for o in offers] == [1, 2]  # fan-out 2, in the order they joined
    assert all(o.start_at == at.astimezone(ZoneInfo("UTC")) for o in offers)
    events = await _events(db, EventKind.WAITLIST_OFFERED)
    assert [e.payload["patient_id"] for e in events] == waiting[:2]
    # Held for the waiting patients: nobody else's search sees it.
    free = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.TELEGRAM)
    assert at not in [f.start_at for f in free]


async def test_first_acceptance_wins_and_the_others_are_told(db, clock, world):
    _c, bookings, waitlist, booking, waiting, at = world
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    first, second = await _offers(db)
    winner = await waitlist.accept(Actor.patient(waiting[1], Channel.TELEGRAM), second.id)
    won = await bookings.get(winner)
    assert (won.patient_id, won.status, won.start_at) == (waiting[1], BookingStatus.BOOKED, at)
    with pytest.raises(OfferGone):
        await waitlist.accept(Actor.patient(waiting[0], Channel.TELEGRAM), first.id)
    gone = await _events(db, EventKind.WAITLIST_OFFER_GONE)
    assert [e.payload["patient_id"] for e in gone] == [waiting[0]]
    async with db.read() as session:
        entries = {
            e.patient_id: e.status for e in (await session.execute(select(WaitlistEntry))).scalars()
        }
    assert entries[waiting[1]] is WaitlistStatus.BOOKED
    assert entries[waiting[0]] is WaitlistStatus.WAITING


async def test_an_offer_is_only_for_its_patient(db, clock, world):
    _c, bookings, waitlist, booking, waiting, _at = world
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    first, _second = await _offers(db)
    with pytest.raises(NotFound):
        await waitlist.accept(Actor.patient(waiting[3], Channel.TELEGRAM), first.id)
    assert (await _offers(db))[0].status is OfferStatus.OPEN


async def test_declines_and_expiry_pass_the_time_on_then_free_it(db, clock, world):
    c, bookings, waitlist, booking, waiting, at = world
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    first, second = await _offers(db)
    await waitlist.decline(Actor.patient(waiting[0], Channel.TELEGRAM), first.id)
    assert len(await _offers(db)) == 2  # the second offer is still open: nothing passed on yet
    await waitlist.decline(Actor.patient(waiting[1], Channel.TELEGRAM), second.id)
    offers = await _offers(db)
    assert [o.entry_id for o in offers[2:]] == [3, 4]  # the next two in line
    clock.advance(timedelta(minutes=31))
    assert await waitlist.sweep() == 2
    offers = await _offers(db)
    assert [o.status for o in offers[2:]] == [OfferStatus.EXPIRED, OfferStatus.EXPIRED]
    # Everyone was asked: the time is everyone's again.
    free = await SlotSearch(db, clock).doctor_day(c.internist.id, at.date(), Channel.TELEGRAM)
    assert at in [f.start_at for f in free]


async def test_join_needs_a_doctor_or_service(db, clock, world):
    _c, _b, waitlist, _booking, waiting, _at = world
    with pytest.raises(InvalidInput):
        await waitlist.join(WaitRequest(patient_id=waiting[0], channel=Channel.TELEGRAM))


async def test_withdrawn_entries_get_no_offers(db, clock, world):
    _c, bookings, waitlist, booking, waiting, _at = world
    for entry_id, pid in ((1, waiting[0]), (2, waiting[1])):
        await waitlist.withdraw(Actor.patient(pid, Channel.TELEGRAM), entry_id)
    await bookings.cancel(Actor.staff("desk"), booking.id, "choroba")
    assert [o.entry_id for o in await _offers(db)] == [3, 4]
