"""A walk through every reachable state of the chat's journeys, built from what the bot
itself offers: from each state every offered button answers, a stale button (one of the
message before) answers, hostile text answers, no reply leaves the patient without a
way on (buttons, or a question that takes typed text), and the menu is one word away.

The journeys declare their steps as tables (`bot.flows.*.STEPS`): a state is a journey's
step, and the walk checks that it reached every step of every table."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot import actions
from bot.chat import Incoming, Reply
from bot.dialog import FLOWS
from core.models import Conversation
from core.vocab import Channel
from testkit.cer_rig import mark_nfz
from testkit.chat import make_dialog
from testkit.documents import desk
from testkit.factories import adult, small_clinic

MAX_STATES = 200
HOSTILE = ["\x00\ud800\x1b[2J", "x" * 5000, "مرحبا кардіолог 🙂", "99"]
# What a patient types where a step takes text, so the walk goes on past it.
TYPED = {
    ("book", "name"): "Anna Nowak",
    ("book", "dob"): "24.05.1987",
    ("book", "doctor_name"): "kowalsk",
    ("book", "e_referral"): "1234 44051401359",
    ("book", "dep_name"): "Zosia Nowak",
    ("book", "dep_birth"): "01.01.2020",
    ("link", "code"): "123456789",
    ("link", "name"): "Ewa Testowa1",
    ("link", "dob"): "01.05.1980",
    ("documents", "share_phone"): "+48 600 100 200",
}
SHARED_PHONE = {("book", "phone")}
_chats = itertools.count(1)
_deliveries = itertools.count(1)
_phones = itertools.count(1)


class Walker:
    def __init__(self, dialog, db) -> None:
        self.dialog, self.db = dialog, db

    async def replay(
        self, path: list[tuple[str, str]]
    ) -> tuple[str, list[Reply], list[Reply]] | None:
        """A new chat walked along `path`; its id, the replies before the last and the last.

        A button is pressed by its place among the buttons offered (the first free time is
        the first, whichever time that is now): earlier replays booked times. None when
        the chat no longer offers that place (the clinic's free times ran out)."""
        chat_id = f"walk{next(_chats)}"
        before: list[Reply] = []
        last = await self.send(chat_id, "text", "/start")
        for kind, value in path:
            if kind not in ("text", "phone"):  # a button: its kind, and its place
                offered = _offered(last)
                if int(value) >= len(offered) or _kind(offered[int(value)]) != kind:
                    return None
                kind, value = "press", offered[int(value)]
            before, last = last, await self.send(chat_id, kind, value)
        return chat_id, before, last

    async def send(self, chat_id: str, kind: str, value: str) -> list[Reply]:
        if kind == "phone":  # a new patient's own number each time: no card has it yet
            value = f"+48600{next(_phones):06d}"
        replies: list[Reply] = await self.dialog.handle(
            Incoming(
                channel=Channel.TELEGRAM,
                chat_id=chat_id,
                delivery_id=f"w{next(_deliveries)}",
                text=value if kind == "text" else None,
                payload=value if kind == "press" else None,
                shared_phone=value if kind == "phone" else None,
                language_hint="en",
            )
        )
        assert replies, f"no answer to {kind} {value!r}"
        return replies

    async def state(self, chat_id: str) -> dict[str, Any]:
        async with self.db.read() as session:
            row = await session.execute(
                select(Conversation).where(col(Conversation.chat_id) == chat_id)
            )
            return dict(row.scalar_one().state)


def _offered(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row]


def _kind(payload: str) -> str:
    return (actions.split(payload)[1] or "").split(":")[0]


async def test_every_state_answers_every_button_stale_and_hostile_input(db, clock):
    clinic = await small_clinic(db, clock, days=35)  # five weeks of free times: replays book many
    assert clinic.consult.id is not None
    await mark_nfz(db, clinic.consult.id, e_referral=True)  # the e-referral step too
    await adult(db, clock)  # a card the "no code" journey can ask for
    walker = Walker(make_dialog(db, clock, documents=desk(db, clock)), db)
    seen: set[tuple] = set()
    reached: set[tuple[str, str]] = set()
    queue: deque[list[tuple[str, str]]] = deque([[]])
    while queue and len(seen) < MAX_STATES:
        path = queue.popleft()
        walked = await walker.replay(path)
        if walked is None:
            continue
        chat_id, before, last = walked
        state = await walker.state(chat_id)
        await walker.send(chat_id, "text", "menu")  # its held time freed for the next replays
        flow, step = state.get("flow"), state.get("step")
        offered = _offered(last)
        kinds = tuple(sorted({_kind(p) for p in offered}))
        booked = any(kind == "ok" for kind, _ in path)
        key = (flow, step, kinds, state.get("data", {}).get("then"), booked)
        if key in seen:
            continue
        seen.add(key)
        if flow:
            reached.add((flow, step))
        takes_text = (flow, step) in TYPED or (flow, step) in SHARED_PHONE
        assert offered or takes_text or any(r.attachment for r in last), (path, last)

        for index, payload in enumerate(offered):  # every button answers, and leads on
            queue.append([*path, (_kind(payload), str(index))])
        if (flow, step) in TYPED:
            queue.append([*path, ("text", TYPED[(flow, step)])])
        if (flow, step) in SHARED_PHONE:
            queue.append([*path, ("phone", "")])

        for stale in _offered(before)[:3]:  # a button of the message before
            again = await walker.replay(path)
            if again is not None:
                assert await walker.send(again[0], "press", stale)
                await walker.send(again[0], "text", "menu")
        for text in HOSTILE:  # hostile text answers politely, the menu one word away
            again = await walker.replay(path)
            if again is not None:
                await walker.send(again[0], "text", text)
                menu = await walker.send(again[0], "text", "menu")
                assert actions.MENU_ITEM.pack(actions.MenuItem.BOOK) in _offered(menu)

    declared = {(name, step) for name, flow in FLOWS.items() for step in flow.STEPS}
    assert declared <= reached, declared - reached
