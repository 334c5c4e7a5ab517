"""Free-slot search: earliest first, every filter, whole visits only, the channel's view."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clinic.structure import StructureWriter
from core.errors import InvalidInput, RestrictionViolated
from core.models import Slot
from core.schedule.search import SlotQuery, SlotSearch
from core.schedule.templates import ScheduleService
from core.vocab import Availability, Channel
from testkit.factories import adult, child, consultants, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")


def _local(slot):
    return slot.start_at.astimezone(WARSAW)


async def test_earliest_first_and_never_in_the_past(db, clock):
    c = await small_clinic(db, clock)
    clock.advance(timedelta(hours=1, minutes=7))  # 09:07 in Warsaw on a working Tuesday
    found = await SlotSearch(db, clock).find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id, limit=5)
    )
    starts = [f.start_at for f in found]
    assert starts == sorted(starts)
    assert starts[0] >= clock.now()
    assert _local(found[0]).time() == time(9, 15)
    assert all(f.doctor_id == c.internist.id for f in found)


async def test_filters_by_specialty_language_doctor_and_branch(db, clock):
    c = await small_clinic(db, clock)
    search = SlotSearch(db, clock)
    by_specialty = await search.find(
        SlotQuery(channel=Channel.TELEGRAM, specialty_id=c.child_visit.specialty_id, limit=10)
    )
    assert {f.doctor_id for f in by_specialty} == {c.paediatrician.id}
    ukrainian = await search.find(SlotQuery(channel=Channel.TELEGRAM, language="uk", limit=10))
    assert {f.doctor_id for f in ukrainian} == {c.paediatrician.id}
    english = await search.find(SlotQuery(channel=Channel.TELEGRAM, language="en", limit=10))
    assert {f.doctor_id for f in english} == {c.internist.id}
    assert await search.find(SlotQuery(channel=Channel.TELEGRAM, language="ru")) == []
    assert await search.find(SlotQuery(channel=Channel.TELEGRAM, branch_id=c.branch.id + 99)) == []


async def test_time_of_day_window_is_local(db, clock):
    c = await small_clinic(db, clock)
    found = await SlotSearch(db, clock).find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id, time_from=time(11, 0), limit=6)
    )
    assert len(found) == 6
    assert all(time(11, 0) <= _local(f).time() < time(12, 0) for f in found)
    # Four 15-minute slots from 11:00 a day, so the fifth is on the next day.
    assert _local(found[4]).date() > _local(found[3]).date()


async def test_long_visit_needs_consecutive_free_slots(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    day = clock.now().date() + timedelta(days=1)
    at = lambda hh, mm: datetime.combine(day, time(hh, mm), tzinfo=WARSAW)  # noqa: E731
    # Leave only 08:15 and 08:45-09:15 free between 08:00 and 09:30 of that day.
    for hh, mm in [(8, 0), (8, 30), (9, 15)]:
        await BookingService(db, clock).book(
            Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at(hh, mm))
        )
    found = await SlotSearch(db, clock).doctor_day(
        c.internist.id, day, Channel.TELEGRAM, service_id=c.long_consult.id
    )
    starts = [_local(f).time() for f in found]
    assert time(8, 15) not in starts  # only 15 minutes free there
    assert time(8, 45) in starts  # 08:45-09:15 is free
    assert time(9, 0) not in starts  # runs into 09:15
    assert time(11, 45) not in starts  # would run past the end of the day
    assert all(f.end_at - f.start_at == timedelta(minutes=30) for f in found)


async def test_restrictions_are_explained_not_hidden(db, clock):
    c = await small_clinic(db, clock)
    grown_up = await adult(db, clock)
    kid = await child(db, clock)
    search = SlotSearch(db, clock)
    with pytest.raises(RestrictionViolated) as raised:
        await search.find(
            SlotQuery(channel=Channel.TELEGRAM, service_id=c.child_visit.id, patient_id=grown_up)
        )
    assert raised.value.details["reason"] == "age"
    assert await search.find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=c.child_visit.id, patient_id=kid)
    )


async def test_paging_through_many_doctors_starting_at_one_instant(db, clock):
    c = await small_clinic(db, clock, days=2)
    today = clock.now().date()

    async def more_doctors(session):
        w = StructureWriter(session)
        from core.models import Clinic

        clinic = await session.get(Clinic, c.branch.clinic_id)
        for n in range(60):
            doctor = await w.doctor(clinic, "Jan", f"Lekarz{n}", services=[c.consult])
            await w.template(
                doctor,
                c.branch,
                weekdays=range(7),
                start="08:00",
                end="08:30",
                slot_minutes=15,
                valid_from=today,
            )

    await db.write(more_doctors)
    await ScheduleService(db, clock).regenerate(today, today + timedelta(days=2))
    found = await SlotSearch(db, clock).find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id, limit=100)
    )
    keys = [(f.start_at, f.doctor_id) for f in found]
    assert len(keys) == len(set(keys)) == 100
    assert keys == sorted(keys)


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_is_bounded(db, clock, limit):
    with pytest.raises(InvalidInput):
        await SlotSearch(db, clock).find(SlotQuery(channel=Channel.TELEGRAM, limit=limit))


async def test_earliest_days_look_past_a_busy_first_day(db, clock):
    c = await small_clinic(db, clock)
    await consultants(db, clock, c, 8)  # 9 doctors: hundreds of free times a day
    query = SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id)
    firsts = await SlotSearch(db, clock).earliest_days(query, 5)
    days = [_local(f).date() for f in firsts]
    assert len(days) == 5
    assert days == sorted(set(days))
    assert all(day.weekday() < 5 for day in days)
    assert all(_local(f).time() == time(8, 0) for f in firsts[1:])  # each day's first time


async def test_branches_with_a_free_slot_earliest_first(db, clock):
    c = await small_clinic(db, clock)
    wola = await consultants(db, clock, c, 1, branch="Wola")
    ursus = await consultants(db, clock, c, 1, branch="Ursus", availability=Availability.VOICE)
    clock.advance(timedelta(hours=4, minutes=30))  # 12:30: Mokotów is done for the day
    search = SlotSearch(db, clock)
    telegram = SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id)
    assert await search.branches(telegram) == [wola.id, c.branch.id]
    assert ursus.id in await search.branches(replace(telegram, channel=Channel.VOICE))
    children = replace(telegram, service_id=c.child_visit.id)
    assert await search.branches(children) == [c.branch.id]  # nobody at Wola gives it


async def test_a_branch_is_searched_along_its_slots_in_time_order(db, clock):
    """The bot searches one branch at a time. SQLite keeps no statistics: with an index on
    the branch alone it read every slot of the branch and sorted them, at every read. For
    a service, the walk reads its doctors' slots whose start no booking holds, by time."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL plans with its own statistics")
    c = await small_clinic(db, clock)
    reads: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM slot JOIN branch" in statement:
            reads.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        query = SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id, branch_id=c.branch.id)
        assert await SlotSearch(db, clock).earliest_days(query, 2)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)
    statement, parameters = reads[0]
    async with db.read() as session:
        connection = await session.connection()
        plan = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        steps = [row[3] for row in plan]
    by_doctor = "(doctor_id=? AND start_at>? AND start_at<?)"
    assert f"SEARCH slot USING INDEX ix_slot_doctor_start_open {by_doctor}" in steps


async def test_times_a_longer_visit_cannot_have_are_dropped_by_the_query(db, clock):
    """A 30-minute visit over 15-minute slots where every second slot is booked: each
    first cell is free, no visit fits. The candidate read drops them all itself, so the
    walk reads no batch of rejects (it read the batch, then its taken cells and the
    doctor's following slots, for each window, and settled them in Python)."""
    c = await small_clinic(db, clock)
    day = clock.now().date() + timedelta(days=1)
    at = lambda hh, mm: datetime.combine(day, time(hh, mm), tzinfo=WARSAW)  # noqa: E731
    for n, (hh, mm) in enumerate(((hh, mm) for hh in range(8, 12) for mm in (15, 45)), 1):
        await BookingService(db, clock).book(
            Actor.staff("desk"),
            VisitRequest(await adult(db, clock, n), c.consult.id, c.internist.id, at(hh, mm)),
        )
    statements: list[str] = []

    def keep(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement != "BEGIN":  # SQLite's own, sent as a statement
            statements.append(statement)

    query = SlotQuery(
        channel=Channel.TELEGRAM,
        service_id=c.long_consult.id,
        doctor_id=c.internist.id,
        start=at(0, 0),
        end=at(23, 0),
    )
    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        assert await SlotSearch(db, clock).find(query) == []
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)
    candidate_reads = [s for s in statements if "FROM slot JOIN branch" in s]
    assert len(candidate_reads) == 1
    assert all("FROM occupancy" not in s or s in candidate_reads for s in statements)
    assert len(statements) == 2  # the service, then the one candidate read


async def test_a_longer_visit_runs_on_only_in_slots_the_channel_sees(db, clock):
    c = await small_clinic(db, clock)
    day = clock.now().date() + timedelta(days=1)
    at = lambda hh, mm: datetime.combine(day, time(hh, mm), tzinfo=WARSAW)  # noqa: E731

    async def phone_only(session):
        await session.execute(
            update(Slot)
            .where(col(Slot.doctor_id) == c.internist.id, col(Slot.start_at) == at(10, 15))
            .values(availability=int(Availability.VOICE))
        )

    await db.write(phone_only)
    search = SlotSearch(db, clock)
    chat = [
        _local(f).time()
        for f in await search.doctor_day(
            c.internist.id, day, Channel.TELEGRAM, service_id=c.long_consult.id
        )
    ]
    assert time(10, 0) not in chat  # runs on into a slot the chat does not offer
    assert time(10, 15) not in chat
    assert {time(9, 45), time(10, 30)} <= set(chat)
    phone = await search.doctor_day(c.internist.id, day, Channel.VOICE, c.long_consult.id)
    assert time(10, 0) in [_local(f).time() for f in phone]  # the phone sees both slots


async def test_a_service_is_searched_along_its_doctors_slots(db, clock):
    """A service performed by a fifth of the doctors read every slot of the day along the
    time index and tested each for the service (and, for a longer visit, probed the
    following slots of the whole branch): the read walks the (doctor, start) index of
    the service's doctors only, and probes a visit's following slots the same way.
    It walks only the slots whose start no booking holds (`slot.start_booked`, kept by
    triggers): in a nearly full calendar it probed the cells of every booked slot."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL plans with its own statistics")
    c = await small_clinic(db, clock)
    reads: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM slot JOIN branch" in statement:
            reads.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        query = SlotQuery(channel=Channel.TELEGRAM, service_id=c.long_consult.id)
        assert await SlotSearch(db, clock).find(query)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)
    statement, parameters = reads[0]
    async with db.read() as session:
        connection = await session.connection()
        plan = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        steps = [row[3] for row in plan]
    by_doctor = "(doctor_id=? AND start_at>? AND start_at<?)"
    assert f"SEARCH slot USING INDEX ix_slot_doctor_start_open {by_doctor}" in steps
    assert any(step.startswith("SEARCH slot_1 USING") and by_doctor in step for step in steps)
