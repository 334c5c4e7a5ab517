"""Patient journeys end to end, as the platforms drive them: real-shaped Telegram updates
posted to the webhook with a fake Bot API on loopback, and Twilio-signed WhatsApp forms with
a fake Twilio REST API; one app serving both, on SQLite and PostgreSQL. What is checked is
what the patient saw (dates in their language, times in the branch's zone) and what the
database holds afterwards: booking, moving and cancelling, races, forged buttons, the
calendar file, a returning patient."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from core.db.database import Database
from core.models import Patient
from core.vocab import BookingStatus, Channel
from testkit.factories import SmallClinic
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import FakeTwilio
from testkit.messengers import (
    PUBLIC,
    Client,
    TelegramChat,
    WhatsAppChat,
    book_on_wednesday,
    bookings,
)

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
    await book_on_wednesday(chat)
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
        "²-³-x",  # digits to str.isdigit, not to int
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
