"""Reminder rules, templates, planning and delivery, on SQLite and PostgreSQL. Delivery is
driven through the `Sender` protocol with a recording fake here; the real channel adapters
are exercised against the fake Telegram and Twilio in test_notify_channels.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import InvalidInput, TemplateInvalid
from core.messaging.escalation import EscalationService
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.messaging.port import Outgoing, TryLater, Undeliverable
from core.messaging.reminder_rules import ReminderRules, RuleDraft, default_rules
from core.messaging.reminders import QuietHours, ReminderPlanner
from core.messaging.templates import check, date_and_time, render
from core.models import Booking, Contact, Notification
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import (
    Channel,
    CommunicationStatus,
    ContactKind,
    NotificationStatus,
    PatientEvent,
    RuleKind,
)
from testkit.factories import SmallClinic, adult, small_clinic

DAY_BEFORE = replace(  # the default rule (at 18:00 the day before), with shorter texts
    default_rules()[0],
    templates={
        "pl": "{{ clinic }}: wizyta {{ date }} o {{ time }}, {{ address }}.",
        "en": "{{ clinic }}: visit on {{ date }} at {{ time }}, {{ address }}.",
    },
)


@dataclass
class Recorder:
    """A channel that takes everything (or fails as told) and remembers what it took."""

    fail_with: Exception | None = None
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    delay: float = 0.0

    async def send(self, address: str, message: Outgoing) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((address, message))
        return f"m{len(self.sent)}"


async def _telegram_patient(db: Database, clock: FrozenClock, n: int = 1) -> int:
    patient = await adult(db, clock, n)

    async def work(session):
        session.add(Contact(patient_id=patient, kind=ContactKind.TELEGRAM, value=f"{9000 + n}"))

    await db.write(work)
    return patient


async def _book(db: Database, clock: FrozenClock, c: SmallClinic, patient: int, nth: int = 0):
    """A visit on Wednesday 2 December (the `nth` free time from 08:00)."""
    free = await SlotSearch(db, clock).find(
        SlotQuery(
            channel=Channel.TELEGRAM,
            service_id=c.consult.id,
            start=datetime(2026, 12, 2, 0, 0, tzinfo=UTC),  # from Wednesday: 08:00 in Warsaw
            limit=nth + 1,
        )
    )
    slot = free[nth]
    assert c.consult.id is not None
    return await BookingService(db, clock).book(
        Actor.patient(patient, Channel.TELEGRAM),
        VisitRequest(patient, c.consult.id, slot.doctor_id, slot.start_at),
    )


async def _notifications(db: Database) -> list[Notification]:
    async with db.read() as session:
        return list(
            (await session.execute(select(Notification).order_by(col(Notification.id)))).scalars()
        )


def _dispatcher(db, clock, **senders) -> Dispatcher:
    return Dispatcher(
        db,
        clock,
        {Channel(k): v for k, v in senders.items()},
        "test-worker",
        DeliveryPolicy(lease=timedelta(seconds=60)),
    )


# -- templates ----------------------------------------------------------------------------


def test_a_template_with_an_unknown_parameter_is_refused_when_saved():
    with pytest.raises(TemplateInvalid) as refused:
        check({"pl": "Dzień dobry {{ first_name }}, PESEL {{ pesel }} {{ diagnosis }}"})
    assert refused.value.details["unknown"] == ["diagnosis", "pesel"]


@pytest.mark.parametrize(
    "templates",
    [{"pl": "{{ date "}, {"xx": "{{ date }}"}, {"pl": "   "}, {}, {"pl": "{{ x.__class__ }}"}],
)
def test_broken_templates_are_refused(templates):
    with pytest.raises(TemplateInvalid):
        check(templates)


@pytest.mark.parametrize(
    ("language", "date", "hour"),
    [
        ("pl", "środa, 2 grudnia 2026", "08:00"),
        ("uk", "середа, 2 грудня 2026", "08:00"),
        ("ru", "среда, 2 декабря 2026", "08:00"),
        ("en", "Wednesday, December 2, 2026", "08:00"),
    ],
)
def test_dates_are_in_the_patients_language_and_the_branchs_zone(language, date, hour):
    at = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    params = date_and_time(at, "Europe/Warsaw", language)
    assert params["date"].startswith(date)
    assert params["time"] == hour


def test_render_falls_back_to_polish_and_fills_what_it_has():
    templates = check({"pl": "Wizyta {{ date }} {{ doctor }}"})
    assert render(templates, "en", {"date": "jutro"}) == "Wizyta jutro "


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
    booking = await _book(db, clock, c, await _telegram_patient(db, clock))  # Wed 2 Dec 08:00
    planner = ReminderPlanner(db, clock)

    assert await planner.plan() == 1
    assert await planner.plan() == 0  # every worker plans every pass: still one row
    [planned] = await _notifications(db)
    assert (planned.rule_id, planned.booking_id) == (rule.id, booking.id)
    assert planned.due_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw


async def test_minutes_before_honours_same_day_only_and_quiet_hours(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(
        RuleDraft(
            "soon", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=120, same_day_only=True
        )
    )
    await _book(db, clock, c, await _telegram_patient(db, clock))  # booked on 1 Dec for 2 Dec
    assert await ReminderPlanner(db, clock).plan() == 0

    await ReminderRules(db, clock).add(
        RuleDraft("early", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=180)
    )
    ten = await _book(db, clock, c, await _telegram_patient(db, clock, 2), nth=8)  # 10:00
    await ReminderPlanner(db, clock).plan()
    planned = [n for n in await _notifications(db) if n.booking_id == ten.id]
    # 3 hours before 10:00 is 07:00, in the quiet hours: it goes out when they end, at 08:00.
    assert [n.due_at for n in planned] == [datetime(2026, 12, 2, 7, 0, tzinfo=UTC)]


async def test_a_reminder_that_quiet_hours_push_past_the_visit_is_not_planned(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(
        RuleDraft("late", RuleKind.MINUTES_BEFORE, {"pl": "{{ time }}"}, minutes=30)
    )
    await _book(db, clock, c, await _telegram_patient(db, clock))  # 08:00: due 07:30, quiet
    assert await ReminderPlanner(db, clock).plan() == 0


async def test_events_make_one_notification_per_reference(db, clock):
    await small_clinic(db, clock, days=1)
    rules = ReminderRules(db, clock)
    await rules.add(
        RuleDraft("lab", RuleKind.EVENT, {"pl": "Wynik"}, event=PatientEvent.LAB_RESULT_READY)
    )
    patient = await _telegram_patient(db, clock)
    assert await rules.raise_event(patient, PatientEvent.LAB_RESULT_READY, "order-17") == 1
    assert await rules.raise_event(patient, PatientEvent.LAB_RESULT_READY, "order-17") == 0
    assert await rules.raise_event(patient, PatientEvent.DISCOUNT_CARD_ISSUED, "card-1") == 0


# -- delivery ------------------------------------------------------------------------------


async def _due_reminder(db, clock) -> tuple[SmallClinic, Booking]:
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    booking = await _book(db, clock, c, await _telegram_patient(db, clock))
    await ReminderPlanner(db, clock).plan()
    clock.advance(timedelta(hours=11))  # 1 Dec 18:00 in Warsaw
    return c, booking


async def test_a_due_reminder_is_sent_once_with_actions_and_marks_the_booking(db, clock):
    _c, booking = await _due_reminder(db, clock)
    telegram = Recorder()
    dispatcher = _dispatcher(db, clock, telegram=telegram)

    first = await dispatcher.run_once()
    second = await dispatcher.run_once()

    assert (first.sent, second.sent) == (1, 0)
    [(address, message)] = telegram.sent
    assert address == "9001"
    assert message.actions
    assert message.booking_id == booking.id
    assert "środa, 2 grudnia 2026 o 08:00, ul. Puławska 1, Warszawa" in message.text
    assert "Kowalska" not in message.text  # the doctor only where the clinic writes it in
    [row] = await _notifications(db)
    assert (row.status, row.channel, row.attempts) == (NotificationStatus.SENT, "telegram", 1)
    async with db.read() as session:
        marked = await session.get(Booking, booking.id)
    assert marked.communication_status is CommunicationStatus.REMINDER_SENT


async def test_nothing_is_sent_before_it_is_due(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    await _book(db, clock, c, await _telegram_patient(db, clock))
    await ReminderPlanner(db, clock).plan()
    telegram = Recorder()
    assert (await _dispatcher(db, clock, telegram=telegram).run_once()).sent == 0


async def test_a_cancelled_visits_reminder_is_skipped(db, clock):
    _c, booking = await _due_reminder(db, clock)
    await BookingService(db, clock).cancel(Actor.staff("anna"), booking.id, "ill")
    telegram = Recorder()

    report = await _dispatcher(db, clock, telegram=telegram).run_once()

    assert (report.sent, report.skipped, telegram.sent) == (0, 1, [])
    [row] = await _notifications(db)
    assert (row.status, row.error) == (NotificationStatus.SKIPPED, "visit cancelled")


async def test_a_moved_visits_reminder_follows_the_new_time(db, clock):
    c, booking = await _due_reminder(db, clock)
    later = (
        await SlotSearch(db, clock).find(
            SlotQuery(
                channel=Channel.TELEGRAM,
                service_id=c.consult.id,
                start=datetime(2026, 12, 3, 0, 0, tzinfo=UTC),
                limit=1,
            )
        )
    )[0]
    await BookingService(db, clock).reschedule(
        Actor.staff("anna"), booking.id, doctor_id=later.doctor_id, start_at=later.start_at
    )
    telegram = Recorder()
    dispatcher = _dispatcher(db, clock, telegram=telegram)

    await ReminderPlanner(db, clock).plan()
    await dispatcher.run_once()
    assert telegram.sent == []  # the old one is skipped, the new one is due tomorrow
    clock.advance(timedelta(days=1))
    await ReminderPlanner(db, clock).plan()
    await dispatcher.run_once()

    [(_address, message)] = telegram.sent
    assert "czwartek, 3 grudnia 2026" in message.text
    statuses = sorted(n.status for n in await _notifications(db))
    assert statuses == [NotificationStatus.SENT, NotificationStatus.SKIPPED]


async def test_a_blocked_bot_falls_back_to_the_next_channel(db, clock):
    _c, booking = await _due_reminder(db, clock)

    async def work(session):
        whatsapp = Contact(
            patient_id=booking.patient_id, kind=ContactKind.WHATSAPP, value="+48501000001"
        )
        session.add(whatsapp)

    await db.write(work)
    telegram = Recorder(fail_with=Undeliverable("the chat blocked the bot"))
    whatsapp = Recorder()

    report = await _dispatcher(db, clock, telegram=telegram, whatsapp=whatsapp).run_once()

    assert report.sent == 1
    assert [address for address, _ in whatsapp.sent] == ["+48501000001"]
    [row] = await _notifications(db)
    assert row.channel is Channel.WHATSAPP


async def test_transient_failures_are_retried_with_back_off_then_recorded(db, clock):
    _c, booking = await _due_reminder(db, clock)
    telegram = Recorder(fail_with=TryLater("HTTP 502"))
    dispatcher = _dispatcher(db, clock, telegram=telegram)

    await dispatcher.run_once()
    [row] = await _notifications(db)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert row.due_at > clock.now()  # waits before the next attempt
    assert "HTTP 502" in row.error

    for _ in range(10):
        clock.advance(timedelta(hours=2))
        await dispatcher.run_once()
    [row] = await _notifications(db)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 5)
    async with db.read() as session:
        marked = await session.get(Booking, booking.id)
    assert marked.communication_status is CommunicationStatus.DELIVERY_FAILED


async def test_without_any_channel_nothing_is_claimed(db, clock):
    await _due_reminder(db, clock)
    assert (await _dispatcher(db, clock).run_once()).sent == 0
    [row] = await _notifications(db)
    assert row.status is NotificationStatus.PENDING


async def test_a_worker_that_died_is_recovered_without_a_duplicate(db, clock):
    await _due_reminder(db, clock)
    dead = _dispatcher(db, clock, telegram=Recorder())
    assert await dead.claim()  # claimed, then the worker died before sending
    clock.advance(timedelta(minutes=2))  # its lease ran out
    telegram = Recorder()

    await _dispatcher(db, clock, telegram=telegram).run_once()

    assert len(telegram.sent) == 1  # never handed to anyone: sent now
    [row] = await _notifications(db)
    assert row.status is NotificationStatus.SENT


async def test_a_worker_that_died_while_sending_leaves_it_in_doubt_and_it_is_not_resent(db, clock):
    await _due_reminder(db, clock)
    dead = _dispatcher(db, clock, telegram=Recorder())
    [claimed] = await dead.claim()

    async def died_while_sending(session):
        await session.execute(
            update(Notification)
            .where(col(Notification.id) == claimed)
            .values(status=NotificationStatus.SENDING)
        )

    await db.write(died_while_sending)
    clock.advance(timedelta(minutes=2))
    telegram = Recorder()

    await _dispatcher(db, clock, telegram=telegram).run_once()

    assert telegram.sent == []
    [row] = await _notifications(db)
    assert row.status is NotificationStatus.IN_DOUBT


async def test_parallel_workers_send_each_reminder_once(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    for n in range(1, 13):
        await _book(db, clock, c, await _telegram_patient(db, clock, n))
    await ReminderPlanner(db, clock).plan()
    clock.advance(timedelta(hours=11))
    telegram = Recorder(delay=0.001)
    workers = [
        Dispatcher(db, clock, {Channel.TELEGRAM: telegram}, f"w{n}", DeliveryPolicy(batch=2))
        for n in range(3)
    ]

    await asyncio.gather(*(w.run_once() for w in workers))

    addresses = [address for address, _ in telegram.sent]
    assert sorted(addresses) == sorted({f"{9000 + n}" for n in range(1, 13)})
    assert {n.status for n in await _notifications(db)} == {NotificationStatus.SENT}


async def test_a_waiting_list_offer_goes_out_once(db, clock):
    c = await small_clinic(db, clock, days=3)
    holder = await _telegram_patient(db, clock, 1)
    waiting = await _telegram_patient(db, clock, 2)
    booking = await _book(db, clock, c, holder)
    await WaitlistService(db, clock).join(
        WaitRequest(patient_id=waiting, channel=Channel.TELEGRAM, doctor_id=c.internist.id)
    )
    offering = BookingService(db, clock, waitlist=WaitlistPolicy())
    await offering.cancel(Actor.staff("anna"), booking.id, "ill")
    telegram = Recorder()
    dispatcher = _dispatcher(db, clock, telegram=telegram)

    await ReminderPlanner(db, clock).plan()
    await dispatcher.run_once()

    [(address, offer)] = telegram.sent
    assert address == "9002"
    assert offer.topic == "waitlist_offer"
    assert offer.offer_id is not None
    assert offer.params["date"] == "środa, 2 grudnia 2026"
    await ReminderPlanner(db, clock).plan()  # planned again: still the one notification
    assert len(await _notifications(db)) == 1


async def test_the_desks_reply_goes_back_to_the_chat_that_asked(db, clock):
    await small_clinic(db, clock, days=1)
    desk = EscalationService(db, clock)
    case = await desk.open(Channel.WHATSAPP, "+48501000777", reason="asked", language="en")
    await desk.take(case.id, "anna.r")
    await desk.reply(case.id, "anna.r", "We will call you at 10.")
    whatsapp = Recorder()

    await ReminderPlanner(db, clock).plan()
    await _dispatcher(db, clock, whatsapp=whatsapp).run_once()

    [(address, reply)] = whatsapp.sent
    assert address == "+48501000777"
    assert (reply.topic, reply.text) == ("staff_reply", "We will call you at 10.")
