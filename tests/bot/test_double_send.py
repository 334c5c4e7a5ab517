"""A message sent twice at once (a double tap, a double send on WhatsApp): one answer
per state that is kept, and the numbers shown match the buttons stored."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.chat import Incoming
from core.db.database import Database
from core.models import Booking, ChatTurn
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def test_a_double_tap_on_confirm_books_once_and_says_it_once(db, clock):
    c = await small_clinic(db, clock)
    dialog = make_dialog(db, clock)
    chat = Chat(dialog, channel=Channel.WHATSAPP, chat_id="+48501000501", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987", phone="+48501000501")
    assert "Book this visit?" in chat.text

    def tap(n: int) -> Incoming:
        return Incoming(
            channel=Channel.WHATSAPP,
            chat_id="+48501000501",
            delivery_id=f"double-{n}",
            text="1",
            shared_phone="+48501000501",
            language_hint="en",
        )

    first, second = await asyncio.gather(dialog.handle(tap(1)), dialog.handle(tap(2)))
    said = [r.text for r in first + second]
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Booking))).scalar_one() == 1
    assert sum("visit is booked" in text for text in said) == 1
    assert not any("run out" in text for text in said)

    # What the patient was shown last is what a typed number presses.
    shown = [r for r in first + second if r.buttons][-1]
    assert "Add to calendar" in shown.buttons[0][0].label
    await chat.send("1")
    assert chat.seen[0].attachment is not None  # "📆 Add to calendar", the first shown


async def test_a_double_tap_landing_on_two_processes_is_answered_once(db, database_url, clock):
    """Two app instances (each its own engine and pool, as two processes) take the two
    deliveries of one double tap: the chat's turn row lets one answer at a time."""
    c = await small_clinic(db, clock)
    other_db = Database.from_url(database_url)
    try:
        here, there = make_dialog(db, clock), make_dialog(other_db, clock)
        chat = Chat(here, channel=Channel.WHATSAPP, chat_id="+48501000502", language="en")
        await chat.send("/start")
        await chat.send(payload="m:book")
        await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
        await chat.send(payload=chat.first_button("day:2026-12-02"))
        await chat.send(payload=chat.first_button("t:"))
        await chat.send("Anna Nowak")
        await chat.send("24.05.1987", phone="+48501000502")
        assert "Book this visit?" in chat.text

        def tap(n: int) -> Incoming:
            return Incoming(
                channel=Channel.WHATSAPP,
                chat_id="+48501000502",
                delivery_id=f"two-processes-{n}",
                text="1",
                shared_phone="+48501000502",
                language_hint="en",
            )

        first, second = await asyncio.gather(here.handle(tap(1)), there.handle(tap(2)))
        said = [r.text for r in first + second]
        async with db.read() as session:
            count = select(func.count()).select_from(Booking)
            assert (await session.execute(count)).scalar_one() == 1
        assert sum("visit is booked" in text for text in said) == 1
        assert not any("run out" in text for text in said)
        async with db.read() as session:  # the turn given back
            assert (
                await session.execute(select(func.count()).select_from(ChatTurn))
            ).scalar_one() == 0
    finally:
        await other_db.dispose()
