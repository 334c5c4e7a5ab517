"""The reminders a clinic starts with follow CeR and the NHS (7 days and 1 day before,
both two-way), a reminder names the service and the branch in the patient's language,
and a discreet service's name, doctor and specialty never reach a message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.messaging.notifications import Dispatcher
from core.messaging.port import Outgoing
from core.messaging.reminder_rules import ReminderRules, default_rules, install_defaults
from core.messaging.reminders import ReminderPlanner
from core.models import Branch, Patient, Service
from core.vocab import Channel, RuleKind
from testkit.factories import small_clinic
from testkit.reminders import all_notifications, book_visit, telegram_patient

WARSAW = ZoneInfo("Europe/Warsaw")


class Kept:
    """A channel that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, address: str, message: Outgoing) -> str:
        self.sent.append(message)
        return f"m{len(self.sent)}"


async def test_a_new_clinic_reminds_7_days_and_1_day_before_both_two_way(db, clock):
    rules = ReminderRules(db, clock)
    await install_defaults(rules)
    before = sorted(
        (r.days, r.at_local, r.with_actions)
        for r in await rules.all()
        if r.kind is RuleKind.DAYS_BEFORE
    )
    assert before == [(1, time(18, 0), True), (7, time(18, 0), True)]


async def test_the_week_before_reminder_is_planned_at_its_local_time(db, clock):
    c = await small_clinic(db, clock, days=14)
    week_before = next(d for d in default_rules() if d.days == 7)
    rule = await ReminderRules(db, clock).add(week_before)
    patient = await telegram_patient(db, clock)
    visit = datetime(2026, 12, 9, 8, 0, tzinfo=WARSAW)  # Wednesday a week later
    booking = await BookingService(db, clock).book(
        Actor.patient(patient, Channel.TELEGRAM),
        VisitRequest(patient, c.consult.id, c.internist.id, visit),
    )
    assert await ReminderPlanner(db, clock).plan() == 1
    [planned] = await all_notifications(db)
    assert (planned.rule_id, planned.booking_id) == (rule.id, booking.id)
    assert planned.due_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw


async def test_a_discreet_service_is_never_named_in_a_message(db, clock):
    c = await small_clinic(db, clock, days=3)
    telling = replace(
        default_rules()[0],
        templates={"pl": "{{ service }}|{{ doctor }}|{{ specialty }}|{{ time }}"},
    )
    await ReminderRules(db, clock).add(telling)
    await book_visit(db, clock, c, await telegram_patient(db, clock))

    async def discreet(session):
        await session.execute(
            update(Service).where(Service.id == c.consult.id).values(discreet=True)
        )

    await db.write(discreet)
    await ReminderPlanner(db, clock).plan()
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    kept = Kept()
    await Dispatcher(db, clock, {Channel.TELEGRAM: kept}, "w").run_once()
    [message] = kept.sent
    assert message.text == "|||08:00"
    assert {message.params[k] for k in ("service", "doctor", "specialty")} == {""}


async def test_a_reminder_names_the_service_and_branch_in_the_patients_language(db, clock):
    c = await small_clinic(db, clock, days=3)
    telling = replace(default_rules()[0], templates={"uk": "{{ service }}|{{ branch }}"})
    await ReminderRules(db, clock).add(telling)
    patient = await telegram_patient(db, clock)

    async def in_ukrainian(session):
        await session.execute(update(Patient).where(Patient.id == patient).values(language="uk"))
        await session.execute(
            update(Service).where(Service.id == c.consult.id).values(names={"uk": "Консультація"})
        )
        await session.execute(
            update(Branch).where(Branch.id == c.branch.id).values(names={"uk": "Мокотув"})
        )

    await db.write(in_ukrainian)
    await book_visit(db, clock, c, patient)
    await ReminderPlanner(db, clock).plan()
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    kept = Kept()
    await Dispatcher(db, clock, {Channel.TELEGRAM: kept}, "w").run_once()
    [message] = kept.sent
    assert message.text == "Консультація|Мокотув"  # not the Polish names
