"""Delivering notifications (core/messaging/notifications.py), on SQLite and PostgreSQL,
through the `Sender` protocol with a recording fake: once, not before due, skipped or
following a moved visit, falling back to the next channel, retried, recovered from a dead
worker, once across parallel workers. The real channel adapters are exercised against the
fake Telegram and Twilio in tests/journeys/test_reminders.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from core.actors import Actor
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.cause import caused_by, current_cause
from core.messaging.escalation import EscalationService
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.messaging.port import Outgoing, TryLater, Undeliverable
from core.messaging.reminder_rules import ReminderRules, RuleDraft
from core.messaging.reminders import ReminderPlanner
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
from testkit.factories import SmallClinic, small_clinic
from testkit.reminders import DAY_BEFORE, all_notifications, book_visit, telegram_patient


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


def _dispatcher(db, clock, **senders) -> Dispatcher:
    return Dispatcher(
        db,
        clock,
        {Channel(k): v for k, v in senders.items()},
        "test-worker",
        DeliveryPolicy(lease=timedelta(seconds=60)),
    )


async def _due_reminder(db, clock) -> tuple[SmallClinic, Booking]:
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    booking = await book_visit(db, clock, c, await telegram_patient(db, clock))
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
    [row] = await all_notifications(db)
    assert (row.status, row.channel, row.attempts) == (NotificationStatus.SENT, "telegram", 1)
    async with db.read() as session:
        marked = await session.get(Booking, booking.id)
    assert marked.communication_status is CommunicationStatus.REMINDER_SENT


async def test_nothing_is_sent_before_it_is_due(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    await book_visit(db, clock, c, await telegram_patient(db, clock))
    await ReminderPlanner(db, clock).plan()
    telegram = Recorder()
    assert (await _dispatcher(db, clock, telegram=telegram).run_once()).sent == 0


async def test_a_cancelled_visits_reminder_is_skipped(db, clock):
    _c, booking = await _due_reminder(db, clock)
    await BookingService(db, clock).cancel(Actor.staff("anna"), booking.id, "ill")
    telegram = Recorder()

    report = await _dispatcher(db, clock, telegram=telegram).run_once()

    assert (report.sent, report.skipped, telegram.sent) == (0, 1, [])
    [row] = await all_notifications(db)
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
    statuses = sorted(n.status for n in await all_notifications(db))
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
    [row] = await all_notifications(db)
    assert row.channel is Channel.WHATSAPP


async def test_transient_failures_are_retried_with_back_off_then_recorded(db, clock):
    _c, booking = await _due_reminder(db, clock)
    telegram = Recorder(fail_with=TryLater("HTTP 502"))
    dispatcher = _dispatcher(db, clock, telegram=telegram)

    await dispatcher.run_once()
    [row] = await all_notifications(db)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert row.due_at > clock.now()  # waits before the next attempt
    assert "HTTP 502" in row.error

    for _ in range(10):
        clock.advance(timedelta(hours=2))
        await dispatcher.run_once()
    [row] = await all_notifications(db)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 5)
    async with db.read() as session:
        marked = await session.get(Booking, booking.id)
    assert marked.communication_status is CommunicationStatus.DELIVERY_FAILED


async def test_without_any_channel_nothing_is_claimed(db, clock):
    await _due_reminder(db, clock)
    assert (await _dispatcher(db, clock).run_once()).sent == 0
    [row] = await all_notifications(db)
    assert row.status is NotificationStatus.PENDING


async def test_a_worker_that_died_is_recovered_without_a_duplicate(db, clock):
    await _due_reminder(db, clock)
    dead = _dispatcher(db, clock, telegram=Recorder())
    assert await dead.claim()  # claimed, then the worker died before sending
    clock.advance(timedelta(minutes=2))  # its lease ran out
    telegram = Recorder()

    await _dispatcher(db, clock, telegram=telegram).run_once()

    assert len(telegram.sent) == 1  # never handed to anyone: sent now
    [row] = await all_notifications(db)
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
    [row] = await all_notifications(db)
    assert row.status is NotificationStatus.IN_DOUBT


async def test_parallel_workers_send_each_reminder_once(db, clock):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    for n in range(1, 13):
        await book_visit(db, clock, c, await telegram_patient(db, clock, n))
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
    assert {n.status for n in await all_notifications(db)} == {NotificationStatus.SENT}


async def test_a_waiting_list_offer_goes_out_once(db, clock):
    c = await small_clinic(db, clock, days=3)
    holder = await telegram_patient(db, clock, 1)
    waiting = await telegram_patient(db, clock, 2)
    booking = await book_visit(db, clock, c, holder)
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
    assert len(await all_notifications(db)) == 1


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


async def test_a_notification_is_sent_under_the_id_of_the_request_that_queued_it(db, clock):
    """A lab's request raises "result ready"; a worker pass sends it later, and its log
    lines carry the lab request's id, not the pass's: one id finds both."""
    await small_clinic(db, clock, days=1)
    rules = ReminderRules(db, clock)
    await rules.add(
        RuleDraft("lab", RuleKind.EVENT, {"pl": "Wynik"}, event=PatientEvent.LAB_RESULT_READY)
    )
    patient = await telegram_patient(db, clock)
    with caused_by("req-lab-00000001"):
        assert await rules.raise_event(patient, PatientEvent.LAB_RESULT_READY, "order-17") == 1
    causes: list[str | None] = []

    class Witness(Recorder):
        async def send(self, address: str, message: Outgoing) -> str:
            causes.append(current_cause())
            return await super().send(address, message)

    with caused_by("pass-00000002"):
        report = await _dispatcher(db, clock, telegram=Witness()).run_once()
    assert report.sent == 1
    assert causes == ["req-lab-00000001"]
