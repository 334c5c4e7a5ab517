"""What Docplanner shows of our calendars: a doctor mapped now is published in one pass and
the visits booked before the mapping follow; a day that shrinks loses its lost hours there;
days never published cost no writes; and a visit booked during a full republication under
Docplanner's 40 writes a minute goes first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import col

from core.models import PartnerOperation, Slot
from core.vocab import MappingKind, PartnerOpKind, PartnerOpStatus
from testkit.factories import adult, warsaw_at
from testkit.partner_setup import ZL, book_here, docplanner_rig, remote_id_of


async def _no_slots(rig, start: datetime, end: datetime) -> None:
    """The internist's slots starting in [start, end) are gone here."""

    async def work(session):
        await session.execute(
            delete(Slot).where(
                col(Slot.doctor_id) == rig.clinic.internist.id,
                col(Slot.start_at) >= start,
                col(Slot.start_at) < end,
            )
        )

    await rig.db.write(work)


def _writes(rig, method: str, tail: str = "") -> int:
    return sum(1 for m, path in rig.fake.requests if m == method and tail in path)


async def test_a_doctor_mapped_now_is_published_in_one_pass_with_the_visits_before_it(db, clock):
    async with docplanner_rig(db, clock) as rig:
        doctor = rig.clinic.internist.id
        await rig.desk.unmap(ZL, MappingKind.DOCTOR, doctor)
        pid = await adult(db, clock)
        before = await book_here(rig, pid, warsaw_at(clock, 2, 9))
        await rig.sync.run_once()  # the visit's doctor is not mapped: nothing goes
        assert rig.fake.slots == {}
        assert rig.fake.active() == []

        await rig.desk.map(ZL, MappingKind.DOCTOR, doctor, rig.address)
        await rig.sync.run_once()  # one worker pass
        tomorrow = warsaw_at(clock, 1, 8).date()
        assert rig.fake.slots[(rig.address, tomorrow)] == [
            (warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 12))
        ]
        clock.advance(timedelta(seconds=1))  # its day first, then the visit
        await rig.sync.run_once()
        [there] = rig.fake.active()
        assert there.start == warsaw_at(clock, 2, 9)
        assert await remote_id_of(rig, before.id) == f"{rig.address}/{there.id}"

        # Mapping it again sends nothing twice.
        await rig.desk.map(ZL, MappingKind.DOCTOR, doctor, rig.address)
        clock.advance(timedelta(seconds=1))
        await rig.settle()
        assert len(rig.fake.active()) == 1


async def test_a_visit_refused_for_an_unmapped_service_goes_once_the_service_is_mapped(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.desk.unmap(ZL, MappingKind.SERVICE, rig.clinic.consult.id)
        await rig.sync.publish_all(ZL)
        await rig.settle()
        pid = await adult(db, clock)
        booking = await book_here(rig, pid, warsaw_at(clock, 2, 9))
        await rig.settle()
        [failure] = await rig.desk.failures(ZL)
        assert failure.booking_id == booking.id

        await rig.desk.map(ZL, MappingKind.SERVICE, rig.clinic.consult.id, "45")
        await rig.sync.run_once()  # the calendar offers the service now
        clock.advance(timedelta(seconds=1))  # then the visit goes
        await rig.settle()
        assert await rig.desk.failures(ZL) == []
        [there] = rig.fake.active()
        assert there.start == warsaw_at(clock, 2, 9)


async def test_a_day_that_shrinks_is_cleared_of_its_lost_hours(db, clock):
    async with docplanner_rig(db, clock) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        tomorrow = warsaw_at(clock, 1, 8).date()
        assert rig.fake.slots[(rig.address, tomorrow)] == [
            (warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 12))
        ]

        await _no_slots(rig, warsaw_at(clock, 1, 10), warsaw_at(clock, 1, 23))  # leaves at 10
        clock.advance(timedelta(minutes=10))  # the next reconciliation
        await rig.sync.publish_all(ZL)
        await rig.settle()
        assert rig.fake.slots[(rig.address, tomorrow)] == [
            (warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 10))
        ]


async def test_days_never_published_cost_no_writes_and_a_day_emptied_is_deleted(db, clock):
    async with docplanner_rig(db, clock) as rig:
        queued = await rig.sync.publish_all(ZL)
        await rig.settle()
        published = {day for (_, day) in rig.fake.slots}
        assert 0 < len(published) < queued  # weekends and days past the schedule are empty
        assert _writes(rig, "DELETE", "/slots/") == 0
        assert _writes(rig, "PUT", "/slots") == len(published)

        tomorrow = warsaw_at(clock, 1, 8).date()

        await _no_slots(rig, warsaw_at(clock, 1, 0), warsaw_at(clock, 1, 23))  # a day off
        clock.advance(timedelta(minutes=10))  # the next reconciliation
        await rig.sync.publish_all(ZL)
        await rig.settle()
        assert (rig.address, tomorrow) not in rig.fake.slots
        assert _writes(rig, "DELETE", f"/slots/{tomorrow.isoformat()}") == 1


async def test_a_visit_goes_first_during_a_full_republication_under_the_write_limit(db, clock):
    async with docplanner_rig(db, clock, days=84, writes_per_minute=40) as rig:
        await rig.sync.publish_all(ZL)
        await rig.sync.run_once()  # the republication starts: calendars take their share
        calendar_writes = _writes(rig, "PUT", "/slots")
        assert 0 < calendar_writes <= 30  # 30 of the 40 a minute
        pid = await adult(db, clock)
        booking = await book_here(rig, pid, warsaw_at(clock, 3, 9))
        clock.advance(timedelta(seconds=5))
        await rig.sync.run_once()  # the next pass, within the same minute
        [there] = rig.fake.active()
        assert there.start == warsaw_at(clock, 3, 9)
        assert await remote_id_of(rig, booking.id) == f"{rig.address}/{there.id}"
        async with db.read() as session:
            waiting = (
                await session.execute(
                    select(col(PartnerOperation.id)).where(
                        col(PartnerOperation.kind) == PartnerOpKind.PUBLISH_SLOTS,
                        col(PartnerOperation.status) == PartnerOpStatus.PENDING,
                    )
                )
            ).all()
        assert waiting  # the calendar is still being republished behind it
