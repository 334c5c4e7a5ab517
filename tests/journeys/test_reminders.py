"""Reminders end to end through the real channel adapters, on SQLite and PostgreSQL: a
Telegram reminder confirmed with its button, a WhatsApp one answered with a number or sent
as the approved template outside the 24-hour window, and SMS carrying the text alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import TelegramSender
from bot.whatsapp.notify import SmsSender, WhatsAppSender
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.chats import ConversationStore
from core.messaging.notifications import Dispatcher
from core.messaging.port import Outgoing, Undeliverable
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.messaging.reminders import ReminderPlanner
from core.vocab import BookingStatus, Channel, CommunicationStatus
from edge.twilio_rest import RetryPolicy, TwilioAccount, TwilioClient, open_client
from frontdesk.faces import telegram_config
from frontdesk.keys import SETTINGS
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    SMS_SENDER,
    FakeTwilio,
    outside_window,
)
from testkit.messengers import (
    Client,
    TelegramChat,
    WhatsAppChat,
    book_on_wednesday,
    bookings,
    no_sleep,
)


async def _remind(db: Database, clock: FrozenClock, senders: dict[Channel, Any]) -> None:
    """The day-before rule planned and delivered at 18:00 on Tuesday, for Wednesday's visit."""
    day_before = default_rules()[0]
    await ReminderRules(db, clock).add(
        replace(
            day_before,
            templates={"en": "{{ clinic }}: visit on {{ date }} at {{ time }}, {{ address }}."},
        )
    )
    await ReminderPlanner(db, clock).plan()
    clock.advance(timedelta(hours=10))
    report = await Dispatcher(db, clock, senders, "test-worker").run_once()
    assert report.sent == 1


async def test_a_telegram_reminder_is_confirmed_with_its_button(
    client: Client, telegram: FakeTelegram, db: Database, clock: FrozenClock
) -> None:
    chat = TelegramChat(client, telegram, 700_006, "en")
    await book_on_wednesday(chat)
    [booking] = await bookings(db)
    bot = make_bot(telegram_config(client.app[SETTINGS]))
    try:
        await _remind(db, clock, {Channel.TELEGRAM: TelegramSender(bot)})
    finally:
        await bot.session.close()

    [reminder] = telegram.calls_of("sendMessage")[-1:]
    assert "Wednesday, 2 December 2026 at 08:00, ul. Puławska 1, Warszawa" in reminder["text"]
    chat.seen = [reminder]
    await chat.press("I will come")

    [confirmed] = await bookings(db)
    assert confirmed.status is BookingStatus.CONFIRMED
    assert confirmed.communication_status is CommunicationStatus.CONFIRMED_BY_PATIENT
    assert "Thank you" in chat.text
    assert booking.id == confirmed.id


async def test_a_whatsapp_reminder_is_answered_with_a_number(
    client: Client, twilio: FakeTwilio, db: Database, clock: FrozenClock
) -> None:
    chat = WhatsAppChat(client, twilio, "+48501000321")
    await book_on_wednesday(chat)
    async with _twilio(twilio) as http:
        await _remind(
            db, clock, {Channel.WHATSAPP: WhatsAppSender(http, ConversationStore(db, clock))}
        )

    reminder = twilio.sent_to("+48501000321")[-1]
    assert "1. ✅ I will come" in reminder
    await chat.send("1")

    [confirmed] = await bookings(db)
    assert confirmed.status is BookingStatus.CONFIRMED


async def test_outside_the_24_hour_window_whatsapp_gets_the_approved_template(
    client: Client, twilio: FakeTwilio, db: Database, clock: FrozenClock
) -> None:
    chat = WhatsAppChat(client, twilio, "+48501000654")
    await book_on_wednesday(chat)
    twilio.fail_next(outside_window())
    content_sid = "HX" + "0123456789abcdef" * 2
    async with _twilio(twilio) as http:
        sender = WhatsAppSender(http, ConversationStore(db, clock), content_sid)
        await _remind(db, clock, {Channel.WHATSAPP: sender})

    template = twilio.messages[-1]
    assert template.content_sid == content_sid
    assert template.variables == {
        "1": "Wednesday, 2 December 2026",
        "2": "08:00",
        "3": "ul. Puławska 1, Warszawa",
    }


@asynccontextmanager
async def _twilio(fake: FakeTwilio, sender: str = SENDER) -> AsyncIterator[TwilioClient]:
    account = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, sender, fake.base_url)
    async with open_client(account, RetryPolicy(sleep=no_sleep)) as http:
        yield http


async def test_sms_carries_the_text_and_the_words_to_reply_and_never_an_offer(
    twilio: FakeTwilio, db: Database, clock: FrozenClock
) -> None:
    async with _twilio(twilio, SMS_SENDER) as http:
        sms = SmsSender(http)
        reminder = Outgoing(
            "reminder", "en", "Clinic: visit tomorrow at 08:00.", booking_id=7, actions=True
        )
        await sms.send("+48501000999", reminder)
        with pytest.raises(Undeliverable):
            await sms.send(
                "+48501000999", Outgoing("waitlist_offer", "en", "", offer_id=3, actions=True)
            )

    [sent] = twilio.messages
    assert (sent.to, sent.from_, sent.body) == (
        "+48501000999",
        SMS_SENDER,
        "Clinic: visit tomorrow at 08:00. "
        "Reply YES to confirm, NO to cancel, MOVE to choose another time.",  # two-way
    )
