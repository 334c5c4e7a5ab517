"""Settling notifications a crash caught mid-send (core/messaging/doubt.py), on SQLite and
PostgreSQL, with a provider's message list faked at the port: confirmed where the list
shows it, sent again where it shows nothing, or where nobody can tell and the visit is
far enough ahead; left in doubt otherwise; untouched while its worker may still record it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from core.messaging.doubt import DoubtPolicy, DoubtResolver
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.messaging.port import TryLater
from core.messaging.reminder_rules import ReminderRules
from core.messaging.reminders import ReminderPlanner
from core.models import Notification
from core.vocab import Channel, DoubtOutcome, NotificationStatus
from testkit.factories import adult, small_clinic
from testkit.reminders import DAY_BEFORE, all_notifications, book_visit, telegram_patient
from tests.core.messaging.test_notifications import Recorder

PHONE = "+48501000002"  # the phone on the card of testkit's second adult
LEASE = timedelta(seconds=60)


@dataclass
class Ledger:
    """A provider's list of our messages: address -> message id; or it cannot tell now."""

    listed: dict[str, str] = field(default_factory=dict)
    down: bool = False
    asked: list[tuple[str, datetime]] = field(default_factory=list)

    async def sent_since(self, address: str, since: datetime) -> str | None:
        self.asked.append((address, since))
        if self.down:
            raise TryLater("twilio None (HTTP 503)")
        return self.listed.get(address)


async def sms_patient(db, clock) -> int:
    """A patient with a phone and no messenger: SMS only."""
    return await adult(db, clock, 2)


async def in_doubt(db, clock, patient_of) -> Notification:
    """A reminder whose worker died between `sending` and recording, its lease long gone."""
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(DAY_BEFORE)
    await book_visit(db, clock, c, await patient_of(db, clock))
    await ReminderPlanner(db, clock).plan()
    clock.advance(timedelta(hours=11))  # 1 Dec 18:00 in Warsaw; the visit is on 2 Dec
    dead = Dispatcher(db, clock, {Channel.SMS: Recorder()}, "dead", DeliveryPolicy(lease=LEASE))
    [claimed] = await dead.claim()

    async def died_while_sending(session):
        await session.execute(
            update(Notification)
            .where(col(Notification.id) == claimed)
            .values(status=NotificationStatus.SENDING)
        )

    await db.write(died_while_sending)
    clock.advance(timedelta(minutes=2))
    await dead.recover()
    clock.advance(timedelta(minutes=2))  # the lease and the grace have passed
    [row] = await all_notifications(db)
    assert row.status is NotificationStatus.IN_DOUBT
    return row


def resolver(db, clock, ledgers, **policy) -> DoubtResolver:
    return DoubtResolver(
        db, clock, ledgers, DoubtPolicy(**({"lease": LEASE, "grace": LEASE} | policy))
    )


async def test_a_message_the_provider_lists_is_recorded_as_sent(db, clock):
    await in_doubt(db, clock, sms_patient)
    ledger = Ledger({PHONE: "SM0123"})

    report = await resolver(db, clock, {Channel.SMS: ledger}).run_once()

    [row] = await all_notifications(db)
    assert (report.confirmed, report.resent) == (1, 0)
    assert (row.status, row.doubt, row.provider_id) == (
        NotificationStatus.SENT,
        DoubtOutcome.CONFIRMED,
        "SM0123",
    )
    [(address, since)] = ledger.asked
    assert address == PHONE
    assert since <= clock.now() - timedelta(minutes=4)  # from the claim, not from now


async def test_a_message_the_provider_does_not_list_is_sent_again_once(db, clock):
    await in_doubt(db, clock, sms_patient)
    sms = Recorder()

    close = resolver(db, clock, {Channel.SMS: Ledger()}, resend_ahead=timedelta(days=9))
    report = await close.run_once()
    await Dispatcher(db, clock, {Channel.SMS: sms}, "alive", DeliveryPolicy(lease=LEASE)).run_once()
    again = await resolver(db, clock, {Channel.SMS: Ledger()}).run_once()

    [row] = await all_notifications(db)
    assert report.resent == 1  # the provider said no: even a close visit gets it
    assert [address for address, _ in sms.sent] == [PHONE]
    assert (row.status, row.doubt) == (NotificationStatus.SENT, DoubtOutcome.RESENT)
    assert again.resent == again.confirmed == 0  # settled once


async def test_telegram_cannot_tell_so_a_far_visits_reminder_is_sent_again(db, clock):
    await in_doubt(db, clock, telegram_patient)
    telegram = Recorder()

    report = await resolver(db, clock, {}).run_once()  # the visit is ~14 hours away
    policy = DeliveryPolicy(lease=LEASE)
    await Dispatcher(db, clock, {Channel.TELEGRAM: telegram}, "alive", policy).run_once()

    [row] = await all_notifications(db)
    assert report.resent == 1
    assert len(telegram.sent) == 1
    assert (row.status, row.doubt) == (NotificationStatus.SENT, DoubtOutcome.RESENT)


async def test_telegram_cannot_tell_and_a_close_visit_stays_in_doubt(db, clock):
    await in_doubt(db, clock, telegram_patient)

    report = await resolver(db, clock, {}, resend_ahead=timedelta(days=2)).run_once()

    [row] = await all_notifications(db)
    assert report.unresolved == 1
    assert (row.status, row.doubt) == (NotificationStatus.IN_DOUBT, DoubtOutcome.UNRESOLVED)


async def test_a_provider_that_cannot_answer_now_is_asked_on_the_next_pass(db, clock):
    await in_doubt(db, clock, sms_patient)
    ledger = Ledger({PHONE: "SM0123"}, down=True)

    first = await resolver(db, clock, {Channel.SMS: ledger}).run_once()
    ledger.down = False
    second = await resolver(db, clock, {Channel.SMS: ledger}).run_once()

    assert (first.postponed, first.confirmed) == (1, 0)
    assert second.confirmed == 1


async def test_nothing_is_settled_while_its_worker_may_still_record_it(db, clock):
    await in_doubt(db, clock, sms_patient)
    ledger = Ledger({PHONE: "SM0123"})

    report = await resolver(db, clock, {Channel.SMS: ledger}, grace=timedelta(hours=1)).run_once()

    [row] = await all_notifications(db)
    assert report.confirmed == 0
    assert ledger.asked == []
    assert row.doubt is None
