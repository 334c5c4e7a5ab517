"""The shortest ways to a visit on Telegram, counted as the patient acts (each message,
shared contact or button press through the webhook): a new patient books the earliest
free time of a service in at most 8 actions from /start, a returning linked patient books
their last service again in at most 4 taps."""

from __future__ import annotations

from core.db.database import Database
from testkit.factories import SmallClinic
from testkit.fakes.telegram.server import FakeTelegram
from testkit.messengers import Client, TelegramChat, bookings

NEW_PATIENT_GOAL = 8
RETURNING_GOAL = 4


async def _book_earliest_as_new(chat: TelegramChat, clinic: SmallClinic) -> None:
    await chat.send("/start")
    await chat.press("Book")
    await chat.press(action=f"svc:{clinic.consult.id}")
    await chat.press("Earliest free time")
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.share_phone("48501234567")
    await chat.press("Confirm")


async def test_a_new_patient_books_the_earliest_time_in_eight_actions(
    client: Client, telegram: FakeTelegram, db: Database, clinic: SmallClinic
) -> None:
    chat = TelegramChat(client, telegram, 700_101, "en")
    await _book_earliest_as_new(chat, clinic)
    assert "Done: your visit is booked." in chat.text
    [booked] = await bookings(db)
    assert booked.start_at.isoformat() == "2026-12-01T07:00:00+00:00"  # the very first time
    assert chat.actions == NEW_PATIENT_GOAL


async def test_a_returning_patient_books_the_last_service_again_in_four_taps(
    client: Client, telegram: FakeTelegram, db: Database, clinic: SmallClinic
) -> None:
    chat = TelegramChat(client, telegram, 700_102, "en")
    await _book_earliest_as_new(chat, clinic)
    await chat.send("hello")  # a returning patient writes; the menu answers
    chat.actions = 0
    await chat.press("Book")
    assert chat.labels().startswith(f"🔁 Again: {clinic.consult.name}")
    await chat.press("Again")
    await chat.press("Earliest free time")
    assert "Book this visit?" in chat.text
    await chat.press("Confirm")
    assert "Done: your visit is booked." in chat.text
    first, again = await bookings(db)
    assert (again.patient_id, again.service_id) == (first.patient_id, first.service_id)
    assert again.start_at > first.start_at
    assert chat.actions == RETURNING_GOAL


async def test_a_new_patient_is_not_offered_to_book_again(
    client: Client, telegram: FakeTelegram, clinic: SmallClinic
) -> None:
    chat = TelegramChat(client, telegram, 700_103, "en")
    await chat.send("/start")
    await chat.press("Book")
    assert "Again" not in chat.labels()
