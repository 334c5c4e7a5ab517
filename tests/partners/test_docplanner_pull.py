"""What patients do on ZnanyLekarz reaches the clinic through the worker's pull (the safety
net under push): each pulled page is stored before the next is asked for, so an outage in
the middle loses nothing; the empty queue's 404 is no failure; a booking appears here in
one pass and its time leaves our search; a blocking move is answered and then takes the
booking's new id."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.models import Booking, PartnerNotification
from core.partners.port import Notice, PartnerUnavailable
from core.schedule.search import SlotSearch
from core.vocab import BookingStatus, Channel
from frontdesk.partners import PullAndApply
from partners.docplanner.notices import parse_notice
from testkit.factories import count_rows, warsaw_at
from testkit.partner_setup import CONSULT_SERVICE, ZL, docplanner_rig, remote_id_of

PATIENT = {"name": "Jan", "surname": "Portalowy", "email": "jan@example.com"}


def _weekday_times(clock, count: int):
    times = []
    for day in range(1, 15):
        for quarter in range(16):  # 08:00-11:45, the internist's hours
            at = warsaw_at(clock, day, 8 + quarter // 4, 15 * (quarter % 4))
            if at.weekday() < 5:
                times.append(at)
    return times[:count]


async def test_a_portal_booking_pulled_appears_here_in_one_pass_and_leaves_the_search(
    db, clock, caplog
):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        job = PullAndApply(rig.inbox, {ZL: rig.client})
        with caplog.at_level(logging.WARNING):
            assert (await job()).applied == 0  # the empty queue answers 404: not a failure
        assert not [r for r in caplog.records if "pull" in r.getMessage()]

        at = warsaw_at(clock, 2, 9)
        rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PATIENT)
        assert (await job()).applied == 1  # one worker pass
        async with db.read() as session:
            [booking] = (await session.execute(select(Booking))).scalars()
        assert (booking.start_at, booking.source) == (at, Channel.ZNANYLEKARZ)
        assert booking.service_id == rig.clinic.consult.id  # its address service resolved
        free = await SlotSearch(db, clock).doctor_day(
            rig.clinic.internist.id, at.date(), Channel.TELEGRAM, rig.clinic.consult.id
        )
        assert at not in [s.start_at for s in free]


async def test_pulled_pages_are_kept_one_by_one_so_an_outage_loses_none(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        times = _weekday_times(clock, 105)
        for at in times:
            rig.fake.patient_books(rig.address, at, CONSULT_SERVICE, PATIENT)

        async def keep_then_fail(notices: Sequence[Notice]) -> None:
            await rig.inbox.receive(ZL, notices)
            rig.fake.down = True  # Docplanner goes down after the first page

        with pytest.raises(PartnerUnavailable, match="503"):  # asking for the second page
            await rig.client.pull(keep_then_fail)
        assert await count_rows(db, PartnerNotification) == 100  # the first page, kept
        rig.fake.down = False
        report = await PullAndApply(rig.inbox, {ZL: rig.client})()
        assert await count_rows(db, PartnerNotification) == 105
        assert report.applied == 105
        assert await count_rows(db, Booking, col(Booking.status) == BookingStatus.BOOKED) == 105


async def test_a_blocking_move_is_answered_and_then_takes_the_new_id(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        booked = rig.fake.patient_books(rig.address, warsaw_at(clock, 2, 9), CONSULT_SERVICE, {})
        await rig.inbox.receive(ZL, [parse_notice(booked)])
        await rig.inbox.apply_pending()
        old_id = booked["data"]["visit_booking"]["id"]

        moving = rig.fake.patient_moving(old_id, warsaw_at(clock, 2, 11))
        decision = await rig.inbox.decide(ZL, parse_notice(moving))
        assert decision.accepted
        async with db.read() as session:
            [booking] = (await session.execute(select(Booking))).scalars()
        assert booking.start_at == warsaw_at(clock, 2, 11)  # moved here when answered

        signature = moving["data"]["creating_booking"]["signature"]
        moved = rig.fake.complete_booking(signature)
        await rig.inbox.receive(ZL, [parse_notice(moved)])
        await rig.inbox.apply_pending()
        new_id = moved["data"]["new_visit_booking"]["id"]
        assert await remote_id_of(rig, booking.id) == f"{rig.address}/{new_id}"

        # A move to a time taken here is refused, and nothing changes.
        other = rig.fake.patient_books(rig.address, warsaw_at(clock, 2, 10), CONSULT_SERVICE, {})
        await rig.inbox.receive(ZL, [parse_notice(other)])
        await rig.inbox.apply_pending()
        clash = rig.fake.patient_moving(new_id, warsaw_at(clock, 2, 10))
        assert not (await rig.inbox.decide(ZL, parse_notice(clash))).accepted
        async with db.read() as session:
            again = await session.get(Booking, booking.id)
        assert again.start_at == warsaw_at(clock, 2, 11)


async def test_while_the_partner_cannot_say_what_a_notice_names_it_waits(db, clock):
    async with docplanner_rig(db, clock) as rig:
        raw = rig.fake.patient_books(rig.address, warsaw_at(clock, 3, 9), CONSULT_SERVICE, {})
        rig.fake.down = True  # its address services cannot be read
        await rig.inbox.receive(ZL, [parse_notice(raw)])
        report = await rig.inbox.apply_pending()
        assert (report.applied, report.refused, report.waiting) == (0, 0, 1)
        rig.fake.down = False
        assert (await rig.inbox.apply_pending()).applied == 1
