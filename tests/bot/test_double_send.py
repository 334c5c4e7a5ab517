"""A message sent twice at once (a double tap, a double send on WhatsApp): one answer
per state that is kept, and the numbers shown match the buttons stored."""

from __future__ import annotations

import asyncio

from bot.chat import Incoming, Reply
from bot.dialog import Dialog
from core.db.database import Database
from core.models import Booking, ChatTurn
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import count_rows, small_clinic


async def _at_confirmation(db, clock, dialog: Dialog, phone: str) -> Chat:
    """A new patient on WhatsApp, one tap from booking."""
    c = await small_clinic(db, clock)
    chat = Chat(dialog, channel=Channel.WHATSAPP, chat_id=phone, language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987", phone=phone)
    assert "Book this visit?" in chat.text
    return chat


async def _double_tap(phone: str, one: Dialog, other: Dialog) -> list[Reply]:
    """ "1" (book) sent twice at once, the deliveries taken by `one` and `other`; what
    the two turns answered."""

    def tap(n: int) -> Incoming:
        return Incoming(
            channel=Channel.WHATSAPP,
            chat_id=phone,
            delivery_id=f"double-{n}",
            text="1",
            shared_phone=phone,
            language_hint="en",
        )

    first, second = await asyncio.gather(one.handle(tap(1)), other.handle(tap(2)))
    return first + second


async def test_a_double_tap_on_confirm_books_once_and_says_it_once(db, clock):
    dialog = make_dialog(db, clock)
    chat = await _at_confirmation(db, clock, dialog, "+48501000501")

    replies = await _double_tap("+48501000501", dialog, dialog)
    said = [r.text for r in replies]
    assert await count_rows(db, Booking) == 1
    assert sum("visit is booked" in text for text in said) == 1
    assert not any("run out" in text for text in said)

    # What the patient was shown last is what a typed number presses.
    shown = [r for r in replies if r.buttons][-1]
    assert "Add to calendar" in shown.buttons[0][0].label
    await chat.send("1")
    assert chat.seen[0].attachment is not None  # "📆 Add to calendar", the first shown


async def test_a_double_tap_landing_on_two_processes_is_answered_once(db, database_url, clock):
    """Two app instances (each its own engine and pool, as two processes) take the two
    deliveries of one double tap: the chat's turn row lets one answer at a time."""
    other_db = Database.from_url(database_url)
    try:
        here, there = make_dialog(db, clock), make_dialog(other_db, clock)
        await _at_confirmation(db, clock, here, "+48501000502")

        said = [r.text for r in await _double_tap("+48501000502", here, there)]
        assert await count_rows(db, Booking) == 1
        assert sum("visit is booked" in text for text in said) == 1
        assert not any("run out" in text for text in said)
        assert await count_rows(db, ChatTurn) == 0  # the turn given back
    finally:
        await other_db.dispose()
