"""Patient journeys end to end, as the platforms drive them: real-shaped Telegram updates
posted to the webhook with a fake Bot API on loopback, and Twilio-signed WhatsApp forms with
a fake Twilio REST API; one app serving both, on SQLite and PostgreSQL. What is checked is
what the patient saw (dates in their language, times in the branch's zone) and what the
database holds afterwards."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import select
from sqlmodel import col

from bot.telegram.keys import SENDS
from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import TelegramSender
from bot.telegram.routes import SECRET_HEADER
from bot.whatsapp.notify import SmsSender, WhatsAppSender
from bot.whatsapp.routes import PATH as WHATSAPP
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.chats import ConversationStore
from core.messaging.notifications import Dispatcher
from core.messaging.port import Outgoing, Undeliverable
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.messaging.reminders import ReminderPlanner
from core.models import Booking, Patient
from core.vocab import BookingStatus, Channel, CommunicationStatus
from edge.twilio_rest import RetryPolicy, TwilioAccount, TwilioClient, open_client
from frontdesk.app import create_app
from frontdesk.faces import telegram_config
from frontdesk.keys import SETTINGS, TWILIO_RETRY
from frontdesk.settings import load_settings
from testkit.factories import SmallClinic, small_clinic
from testkit.fakes.telegram import TOKEN, FakeTelegram
from testkit.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    SMS_SENDER,
    FakeTwilio,
    inbound_whatsapp,
    outside_window,
    sign,
)

PUBLIC = "https://clinic.example"
SECRET = "journeys-webhook-secret"

Client = TestClient[web.Request, web.Application]

# What each language calls things, and how it writes Wednesday 2 and Thursday 3 December 2026.
LANGUAGES = {
    "pl": ("Polski", "Umów", "Potwierdź", "środa, 2 grudnia", "czwartek, 3 grudnia"),
    "uk": ("Українська", "Записатися", "Підтвердити", "середа, 2 грудня", "четвер, 3 грудня"),
    "ru": ("Русский", "Записаться", "Подтвердить", "среда, 2 декабря", "четверг, 3 декабря"),
    "en": ("English", "Book", "Confirm", "Wednesday, 2 December", "Thursday, 3 December"),
}
SHARE_PHONE = {
    "pl": "📱 Udostępnij mój numer telefonu",
    "uk": "📱 Поділитися номером телефону",
    "ru": "📱 Поделиться номером телефона",
    "en": "📱 Share my phone number",
}


async def _no_sleep(seconds: float) -> None:
    """Twilio's Retry-After is not waited for in these tests."""


@pytest.fixture
async def telegram(aiohttp_server: AiohttpServer) -> FakeTelegram:
    fake = FakeTelegram()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def twilio(aiohttp_server: AiohttpServer) -> FakeTwilio:
    fake = FakeTwilio()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> SmallClinic:
    return await small_clinic(db, clock, days=3)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
    clinic: SmallClinic,
) -> Client:
    settings = load_settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        secret_key="journeys-secret-key-0123456789abcdef",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_server=telegram.base_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER,
        twilio_api_base=twilio.base_url,
        run_worker_in_process=False,
    )
    app = create_app(settings, clock=clock)
    app[TWILIO_RETRY] = RetryPolicy(sleep=_no_sleep)
    return await aiohttp_client(app)


class TelegramChat:
    """A Telegram user: updates to the webhook, answers read off the fake Bot API."""

    def __init__(self, client: Client, fake: FakeTelegram, user_id: int, language: str) -> None:
        self.client, self.fake, self.user_id, self.language = client, fake, user_id, language
        self.seen: list[dict[str, Any]] = []

    async def _post(self, update: dict[str, Any]) -> None:
        before = len(self.fake.calls)
        response = await self.client.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
        )
        assert response.status == 200, await response.text()
        await self.client.app[SENDS].drain()
        self.seen = [
            c.params
            for c in self.fake.calls[before:]
            if c.method == "sendMessage" and c.status == 200 and c.params["chat_id"] == self.user_id
        ]

    async def send(self, text: str) -> None:
        await self._post(
            self.fake.text_update(text, user_id=self.user_id, language_code=self.language)
        )

    async def share_phone(self, phone: str) -> None:
        await self._post(
            self.fake.contact_update(
                phone, user_id=self.user_id, contact_user_id=self.user_id, language_code=None
            )
        )

    async def press(self, label: str = "", action: str = "") -> None:
        """Press the first inline button whose label holds `label` and whose action starts
        with `action`, among the last messages."""
        await self.tap(self.button(label, action))

    async def tap(self, data: str) -> None:
        await self._post(
            self.fake.callback_update(data, user_id=self.user_id, language_code=self.language)
        )

    def button(self, label: str = "", action: str = "") -> str:
        for message in reversed(self.seen):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    data = button["callback_data"]
                    if label in button["text"] and data.split("|", 1)[-1].startswith(action):
                        return str(data)
        raise AssertionError(f"no button {label!r}/{action!r} in {self.text}")

    def labels(self) -> str:
        return " ".join(
            button["text"]
            for message in self.seen
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        )

    @property
    def text(self) -> str:
        return "\n".join(message["text"] for message in self.seen)


class WhatsAppChat:
    """A WhatsApp user: Twilio-signed forms to the webhook, answers read off the fake Twilio."""

    def __init__(self, client: Client, fake: FakeTwilio, number: str) -> None:
        self.client, self.fake, self.number = client, fake, number
        self.text = ""

    async def send(self, body: str) -> None:
        before = len(self.fake.sent_to(self.number))
        form = inbound_whatsapp(body, number=self.number)
        response = await self.client.post(
            WHATSAPP, data=form, headers={"X-Twilio-Signature": sign(PUBLIC + WHATSAPP, form)}
        )
        assert response.status == 200, await response.text()
        self.text = "\n\n".join(self.fake.sent_to(self.number)[before:])

    async def press(self, label: str) -> None:
        """Type the number of the first option whose label holds `label`."""
        for number, option in re.findall(r"^(\d+)\. (.*)$", self.text, re.MULTILINE):
            if label in option:
                await self.send(number)
                return
        raise AssertionError(f"no option {label!r} in {self.text}")


async def bookings(db: Database) -> list[Booking]:
    async with db.read() as session:
        return list((await session.execute(select(Booking).order_by(col(Booking.id)))).scalars())


@pytest.mark.parametrize("language", LANGUAGES)
async def test_book_move_and_cancel_on_telegram(
    client: Client, telegram: FakeTelegram, db: Database, clinic: SmallClinic, language: str
) -> None:
    _, book, confirm, wednesday, thursday = LANGUAGES[language]
    chat = TelegramChat(client, telegram, 700_001, language)

    await chat.send("/start")
    await chat.press(book)
    await chat.press(action=f"svc:{clinic.consult.id}")
    assert wednesday in chat.labels()
    await chat.press(wednesday)
    await chat.press("08:00")  # 07:00 UTC in Warsaw
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    [[share]] = chat.seen[-1]["reply_markup"]["keyboard"]
    assert (share["request_contact"], share["text"]) == (True, SHARE_PHONE[language])
    await chat.share_phone("48501234567")
    assert wednesday in chat.text
    assert "08:00" in chat.text
    await chat.press(confirm)
    [booked] = await bookings(db)
    assert (booked.source, booked.status) == (Channel.TELEGRAM, BookingStatus.BOOKED)
    assert booked.start_at.isoformat() == "2026-12-02T07:00:00+00:00"
    assert wednesday in chat.text
    assert "08:00" in chat.text
    async with db.read() as session:
        patient = await session.get(Patient, booked.patient_id)
    assert patient is not None
    assert patient.language == language

    await chat.send("/start")  # a returning patient: my visits, move to Thursday
    await chat.press(action="m:visits")
    await chat.press(action="mv:")
    await chat.press(thursday)
    await chat.press("08:00")
    await chat.press(confirm)
    [moved] = await bookings(db)
    assert moved.start_at.isoformat() == "2026-12-03T07:00:00+00:00"
    assert thursday in chat.text

    await chat.press(action="menu")
    await chat.press(action="m:visits")
    await chat.press(action="cx:")
    await chat.press(action="why:ill")
    [cancelled] = await bookings(db)
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "patient: ill"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_book_move_and_cancel_on_whatsapp(
    client: Client, twilio: FakeTwilio, db: Database, language: str
) -> None:
    name, book, confirm, wednesday, thursday = LANGUAGES[language]
    chat = WhatsAppChat(client, twilio, "+48501000123")

    await chat.send("Dzień dobry")
    await chat.press(name)  # WhatsApp tells no language: the patient picks one
    await chat.press(book)
    await chat.press("Konsultacja")
    assert wednesday in chat.text
    await chat.press(wednesday)
    await chat.press("08:00")
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")  # no phone question: WhatsApp vouches for the number
    assert wednesday in chat.text
    assert "08:00" in chat.text
    await chat.press(confirm)
    [booked] = await bookings(db)
    assert (booked.source, booked.status) == (Channel.WHATSAPP, BookingStatus.BOOKED)
    assert booked.start_at.isoformat() == "2026-12-02T07:00:00+00:00"

    await chat.send("menu")
    await chat.press("🗂")  # my visits
    await chat.press("🔁")
    await chat.press(thursday)
    await chat.press("08:00")
    await chat.press(confirm)
    [moved] = await bookings(db)
    assert moved.start_at.isoformat() == "2026-12-03T07:00:00+00:00"

    await chat.send("menu")
    await chat.press("🗂")
    await chat.press("✖")
    await chat.send("3")  # "I am ill", the third reason
    [cancelled] = await bookings(db)
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "patient: ill"


async def test_two_patients_race_from_two_channels_for_the_last_slot(
    client: Client, telegram: FakeTelegram, twilio: FakeTwilio, db: Database, clinic: SmallClinic
) -> None:
    tg = TelegramChat(client, telegram, 700_002, "en")
    wa = WhatsAppChat(client, twilio, "+48501000456")
    await wa.send("hello")
    await wa.press("English")
    for step in ("Book", "Konsultacja", "Wednesday, 2 December"):
        await wa.press(step)
    await tg.send("/start")
    await tg.press("Book")
    await tg.press(action=f"svc:{clinic.consult.id}")
    await tg.press("Wednesday, 2 December")
    assert "1. 08:00" in wa.text
    assert "08:00" in tg.labels()

    await tg.press("08:00")  # held for the Telegram patient while they give their details
    await wa.press("08:00")

    assert "08:00" not in re.findall(r"^\d+\. (.*)$", wa.text, re.MULTILINE)
    assert "08:15" in wa.text  # the next times instead
    await tg.send("Anna Nowak")
    await tg.send("24.05.1987")
    await tg.share_phone("48501234567")
    await tg.press("Confirm")
    [booking] = await bookings(db)
    assert (booking.source, booking.start_at.isoformat()) == (
        Channel.TELEGRAM,
        "2026-12-02T07:00:00+00:00",
    )


async def test_a_forged_button_for_another_patients_visit_changes_nothing(
    client: Client, telegram: FakeTelegram, db: Database, clinic: SmallClinic
) -> None:
    owner = TelegramChat(client, telegram, 700_003, "pl")
    await owner.send("/start")
    await owner.press("Umów")
    await owner.press(action=f"svc:{clinic.consult.id}")
    await owner.press(action="day:")
    await owner.press(action="t:")
    await owner.send("Anna Nowak")
    await owner.send("24.05.1987")
    await owner.share_phone("48501234567")
    await owner.press("Potwierdź")
    [booking] = await bookings(db)

    intruder = TelegramChat(client, telegram, 700_004, "pl")
    forged = (f"cx:{booking.id}", "why:ill", f"mv:{booking.id}", f"ics:{booking.id}")
    for action in (*forged, f"rc:{booking.id}"):
        await intruder.send("/start")
        await intruder.press("Umów")
        turn = intruder.button(action="svc:").split("|")[0]  # current, so not merely stale
        await intruder.tap(f"{turn}|{action}")
        assert intruder.seen, "a forged button still gets an answer"
        assert "Puławska" not in intruder.text
        assert "Anna" not in intruder.text

    [after] = await bookings(db)
    assert (after.status, after.start_at, after.patient_id) == (
        BookingStatus.BOOKED,
        booking.start_at,
        booking.patient_id,
    )
    assert not [c for c in telegram.calls if c.method == "sendDocument"]


async def test_whatsapp_gets_the_calendar_file_by_a_signed_link(
    client: Client, twilio: FakeTwilio, db: Database
) -> None:
    chat = WhatsAppChat(client, twilio, "+48501000789")
    await _book_on_wednesday(chat)
    await chat.press("📆")

    [url] = re.findall(rf"{re.escape(PUBLIC)}/calendar/\S+\.ics", chat.text)
    path = urlsplit(url).path
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/calendar"
    body = await response.text()
    assert "DTSTART:20261202T070000Z" in body
    assert "Konsultacja" in body

    booking_id, until, mac = path.removeprefix("/calendar/").removesuffix(".ics").split("-", 2)
    for forged in (
        f"{int(booking_id) + 1}-{until}-{mac}",  # someone else's visit
        f"{booking_id}-{int(until) + 86_400}-{mac}",  # a longer life
        "1-2-3",
        "../../etc/passwd",
    ):
        assert (await client.get(f"/calendar/{forged}.ics")).status == 404

    await chat.send("menu")
    await chat.press("🗂")
    await chat.press("✖")
    await chat.send("3")  # "I am ill", the third reason
    assert (await client.get(path)).status == 404  # a cancelled visit has no calendar entry


async def test_a_returning_linked_patient_books_in_five_taps(
    client: Client, telegram: FakeTelegram, db: Database, clinic: SmallClinic
) -> None:
    chat = TelegramChat(client, telegram, 700_005, "en")
    await chat.send("/start")
    for label in ("Book", "Konsultacja", "Wednesday, 2 December", "08:00"):
        await chat.press(label)
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.share_phone("48501234567")
    await chat.press("Confirm")  # the first visit links the chat to the new card

    await chat.send("/start")
    for tap in ("Book", "Konsultacja", "Thursday, 3 December", "08:00", "Confirm"):
        await chat.press(tap)  # no question in between: the card is known

    assert [b.start_at.isoformat() for b in await bookings(db)] == [
        "2026-12-02T07:00:00+00:00",
        "2026-12-03T07:00:00+00:00",
    ]


# -- reminders through the real channel adapters -------------------------------------------


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


async def _book_on_wednesday(chat: TelegramChat | WhatsAppChat) -> None:
    """A new patient, in English, books Wednesday's first visit."""
    if isinstance(chat, TelegramChat):
        await chat.send("/start")
    else:
        await chat.send("hi")
        await chat.press("English")
    for step in ("Book", "Konsultacja", "Wednesday, 2 December", "08:00"):
        await chat.press(step)
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    if isinstance(chat, TelegramChat):
        await chat.share_phone("48501234567")
    await chat.press("Confirm")


async def test_a_telegram_reminder_is_confirmed_with_its_button(
    client: Client, telegram: FakeTelegram, db: Database, clock: FrozenClock
) -> None:
    chat = TelegramChat(client, telegram, 700_006, "en")
    await _book_on_wednesday(chat)
    [booking] = await bookings(db)
    bot = make_bot(telegram_config(client.app[SETTINGS]))
    try:
        await _remind(db, clock, {Channel.TELEGRAM: TelegramSender(bot)})
    finally:
        await bot.session.close()

    [reminder] = telegram.calls_of("sendMessage")[-1:]
    assert "Wednesday, December 2, 2026 at 08:00, ul. Puławska 1, Warszawa" in reminder["text"]
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
    await _book_on_wednesday(chat)
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
    await _book_on_wednesday(chat)
    twilio.fail_next(outside_window())
    content_sid = "HX" + "0123456789abcdef" * 2
    async with _twilio(twilio) as http:
        sender = WhatsAppSender(http, ConversationStore(db, clock), content_sid)
        await _remind(db, clock, {Channel.WHATSAPP: sender})

    template = twilio.messages[-1]
    assert template.content_sid == content_sid
    assert template.variables == {
        "1": "Wednesday, December 2, 2026",
        "2": "08:00",
        "3": "ul. Puławska 1, Warszawa",
    }


@asynccontextmanager
async def _twilio(fake: FakeTwilio, sender: str = SENDER) -> AsyncIterator[TwilioClient]:
    account = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, sender, fake.base_url)
    async with open_client(account, RetryPolicy(sleep=_no_sleep)) as http:
        yield http


async def test_sms_carries_the_text_alone_and_never_an_offer(
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
        "Clinic: visit tomorrow at 08:00.",
    )
