"""Reminder rules and planning (core/messaging/reminders.py), on SQLite and PostgreSQL: rules
checked when added, quiet hours, reminders planned once at the local time, and events making
one notification per reference."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from core.errors import InvalidInput, TemplateInvalid
from core.messaging.reminder_rules import ReminderRules, RuleDraft
from core.messaging.reminders import ReminderPlanner
from core.quiet import QuietHours
from core.vocab import PatientEvent, RuleKind
from testkit.factories import small_clinic
from testkit.reminders import DAY_BEFORE, all_notifications, book_visit, telegram_patient


async def test_rules_are_checked_when_added(db, clock):
    rules = ReminderRules(db, clock)
    with pytest.raises(InvalidInput):
        await rules.add(RuleDraft("no time", RuleKind.DAYS_BEFORE, {"pl": "x"}, days=1))
    with pytest.raises(TemplateInvalid):
        await rules.add(RuleDraft("bad", RuleKind.MINUTES_BEFORE, {"pl": "{{ pesel }}"}, minutes=5))
    assert await rules.all() == []


def test_quiet_hours_move_a_night_time_to_the_morning():
    quiet = QuietHours(time(21, 0), time(8, 0))
    late = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 23:30 in Warsaw
    assert quiet.next_allowed(late, "Europe/Warsaw") == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    early = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # 06:00 in Warsaw
    assert quiet.next_allowed(early, "Europe/Warsaw") == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    day = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert quiet.next_allowed(day, "Europe/Warsaw") == day


# -- planning ------------------------------------------------------------------------------


async def test_a_day_before_reminder_is_planned_once_at_the_local_time(db, clock):
    c = await small_clinic(db, clock, days=3)
    rule = await ReminderRules(db, clock).add(DAY_BEFORE)
    booking = await book_visit(db, clock, c, await telegram_patient(db, clock))  # Wed 2 Dec 08:00
    planner = ReminderPlanner(db, clock)

    assert await planner.plan() == 1
    assert await planner.plan() == 0  # every worker plans every pass: still one row
    [planned] = await all_notifications(db)
    assert (planned.rule_id, planned.booking_id) == (rule.id, booking.id)
    assert planned.due_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw


async def test_minutes_before_honours_same_day_only_and_quiet_hours(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(
        RuleDraft(
            "soon", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=120, same_day_only=True
        )
    )
    await book_visit(db, clock, c, await telegram_patient(db, clock))  # booked on 1 Dec for 2 Dec
    assert await ReminderPlanner(db, clock).plan() == 0

    await ReminderRules(db, clock).add(
        RuleDraft("early", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=180)
    )
    ten = await book_visit(db, clock, c, await telegram_patient(db, clock, 2), nth=8)  # 10:00
    await ReminderPlanner(db, clock).plan()
    planned = [n for n in await all_notifications(db) if n.booking_id == ten.id]
    # 3 hours before 10:00 is 07:00, in the quiet hours: it goes out when they end, at 08:00.
    assert [n.due_at for n in planned] == [datetime(2026, 12, 2, 7, 0, tzinfo=UTC)]


async def test_a_reminder_that_quiet_hours_push_past_the_visit_is_not_planned(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(
        RuleDraft("late", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=30)
    )
    await book_visit(db, clock, c, await telegram_patient(db, clock))  # 08:00: due 07:30, quiet
    assert await ReminderPlanner(db, clock).plan() == 0


async def test_events_make_one_notification_per_reference(db, clock):
    await small_clinic(db, clock, days=1)
    rules = ReminderRules(db, clock)
    await rules.add(
        RuleDraft("lab", RuleKind.EVENT, {"pl": "Wynik"}, event=PatientEvent.LAB_RESULT_READY)
    )
    patient = await telegram_patient(db, clock)
    assert await rules.raise_event(patient, PatientEvent.LAB_RESULT_READY, "order-17") == 1
    assert await rules.raise_event(patient, PatientEvent.LAB_RESULT_READY, "order-17") == 0
    assert await rules.raise_event(patient, PatientEvent.DISCOUNT_CARD_ISSUED, "card-1") == 0
