"""Hostile text at any step answers politely and poisons nothing, on SQLite and
PostgreSQL: control characters, NUL, lone surrogates, over-long and mixed scripts."""

from __future__ import annotations

import pytest

from core.messaging.escalation import EscalationService
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic

BATTERY = [
    "hi \ud800 x",
    "a\u0000b",
    "\x1b[2J\x07\x7f\x9b",
    "x" * 100_000,
    "Kardio кардіолог кардиолог cardiologist مرحبا",
    "\ud83d",
    "\u202e\u0000odd",
]


async def test_after_an_escalation_bad_text_reaches_the_desk_cleaned(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="601", language="en")
    await chat.send("/start")
    await chat.send(payload="m:human")
    for text in [*BATTERY, "blah"]:
        assert await chat.send(text)
    desk = EscalationService(db, clock)
    case = await desk.active(Channel.TELEGRAM, "601")
    assert case is not None
    said = [m.text for m in await desk.transcript(case.id)]
    assert "hi  x" in said
    assert "ab" in said
    assert said[-1] == "blah"
    assert all("\x00" not in text for text in said)


@pytest.mark.parametrize("step", ["menu", "service", "day", "time", "name", "dob", "phone"])
async def test_bad_text_at_every_booking_step_is_answered(db, clock, step):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id=f"602{step}", language="en")
    await chat.send("/start")
    walk = [
        ("service", lambda: chat.send(payload="m:book")),
        ("day", lambda: chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))),
        ("time", lambda: chat.send(payload=chat.first_button("day:"))),
        ("name", lambda: chat.send(payload=chat.first_button("t:"))),
        ("dob", lambda: chat.send("Anna Nowak")),
        ("phone", lambda: chat.send("24.05.1987")),
    ]
    for reached, go in walk:
        if step == "menu":
            break
        await go()
        if reached == step:
            break
    for text in BATTERY:
        replies = await chat.send(text)
        assert replies
    await chat.send("menu")
    assert chat.first_button("m:book")  # the chat is not poisoned
