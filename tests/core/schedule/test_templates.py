"""Templates to slots: local times across daylight-saving changes, breaks, absences,
and regeneration that keeps booked slots and reports them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import ScheduleInvalid
from core.models import Absence, OutboxEvent, ScheduleConflict, ScheduleTemplate, Slot
from core.schedule.planning import local_instant, plan_slots
from core.schedule.templates import ScheduleService
from core.vocab import Availability, EventKind
from testkit.factories import adult, count_rows, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")
SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET


def _template(
    start: str, end: str, weekday: int, minutes: int = 15, tid: int = 1
) -> ScheduleTemplate:
    return ScheduleTemplate(
        id=tid,
        doctor_id=1,
        branch_id=1,
        weekday=weekday,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        slot_minutes=minutes,
        valid_from=date(2026, 1, 1),
        availability=int(Availability.ALL),
    )


def _plan(templates, first, last, breaks=None, absences=None):
    return plan_slots(templates, breaks or {}, absences or {}, {1: WARSAW}, first, last)


@pytest.mark.parametrize(
    ("day", "first_utc"),
    [
        (SPRING - timedelta(days=1), datetime(2026, 3, 28, 7, 0, tzinfo=UTC)),  # CET, +01:00
        (SPRING, datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),  # CEST, +02:00
        (AUTUMN - timedelta(days=1), datetime(2026, 10, 24, 6, 0, tzinfo=UTC)),  # CEST
        (AUTUMN, datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),  # CET again
    ],
)
def test_eight_oclock_stays_eight_oclock_across_dst(day, first_utc):
    plan = _plan([_template("08:00", "12:00", day.weekday())], day, day)
    starts = sorted(p.start_at for p in plan.values())
    assert starts[0] == first_utc
    assert starts[0].astimezone(WARSAW).time() == time(8, 0)
    assert len(starts) == 16


def test_night_period_over_the_spring_gap_lasts_its_real_length():
    # 01:00-04:00 local on the spring day is two real hours: 02:00-03:00 does not exist.
    plan = _plan([_template("01:00", "04:00", SPRING.weekday())], SPRING, SPRING)
    starts = sorted(p.start_at for p in plan.values())
    assert len(starts) == 8
    assert starts[0] == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert starts[-1] + timedelta(minutes=15) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(starts))


def test_night_period_over_the_autumn_repeat_lasts_its_real_length():
    plan = _plan([_template("01:00", "04:00", AUTUMN.weekday())], AUTUMN, AUTUMN)
    assert len(plan) == 16  # four real hours
    assert len({p.start_at for p in plan.values()}) == 16


def test_local_time_in_the_spring_gap_moves_to_the_end_of_the_gap():
    assert local_instant(SPRING, time(2, 30), WARSAW) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # The repeated autumn hour takes its first occurrence (still summer time).
    assert local_instant(AUTUMN, time(2, 30), WARSAW) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_breaks_and_absences_cut_slots_out():
    from core.models import ScheduleBreak

    monday = date(2026, 12, 7)
    brk = ScheduleBreak(template_id=1, start_time=time(10, 0), end_time=time(10, 30))
    away = (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 15, tzinfo=UTC))
    plan = _plan([_template("08:00", "12:00", 0)], monday, monday, {1: [brk]}, {1: [away]})
    local = sorted(p.start_at.astimezone(WARSAW).time() for p in plan.values())
    assert time(10, 0) not in local
    assert time(10, 15) not in local
    assert time(11, 0) not in local  # the absence (10:00 UTC is 11:00 in Warsaw)
    assert len(local) == 16 - 2 - 1


def test_overlapping_templates_of_one_doctor_are_refused():
    with pytest.raises(ScheduleInvalid):
        _plan(
            [_template("08:00", "12:00", 0), _template("11:00", "13:00", 0, tid=2)],
            date(2026, 12, 7),
            date(2026, 12, 7),
        )


async def test_regeneration_is_idempotent(db, clock):
    await small_clinic(db, clock)
    before = await count_rows(db, Slot)
    today = clock.now().date()
    report = await ScheduleService(db, clock).regenerate(today, today + timedelta(days=14))
    assert (report.created, report.removed, report.updated) == (0, 0, 0)
    assert await count_rows(db, Slot) == before > 0


async def test_regeneration_keeps_a_booked_slot_and_reports_the_conflict(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    tomorrow = clock.now().date() + timedelta(days=1)
    at = datetime.combine(tomorrow, time(9, 0), tzinfo=WARSAW)
    booking = await BookingService(db, clock).book(
        Actor.staff("desk"), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )

    # The internist's absence tomorrow would remove every slot that day.
    async def absent(session):
        session.add(
            Absence(
                doctor_id=c.internist.id,
                start_at=at - timedelta(hours=3),
                end_at=at + timedelta(hours=5),
                reason="szkolenie",
            )
        )

    await db.write(absent)
    report = await ScheduleService(db, clock).regenerate(tomorrow, tomorrow)
    assert report.conflicts == [booking.id]
    assert report.removed == 16 - 1
    assert (
        await count_rows(
            db,
            Slot,
            col(Slot.doctor_id) == c.internist.id,
            col(Slot.start_at) == at.astimezone(UTC),
        )
        == 1
    )
    assert (
        await count_rows(db, ScheduleConflict, col(ScheduleConflict.booking_id) == booking.id) == 1
    )
    assert (
        await count_rows(db, OutboxEvent, col(OutboxEvent.kind) == EventKind.SCHEDULE_CONFLICT) == 1
    )
    # Reported once, not again on the next run.
    again = await ScheduleService(db, clock).regenerate(tomorrow, tomorrow)
    assert again.removed == 0
    assert await count_rows(db, ScheduleConflict) == 1
