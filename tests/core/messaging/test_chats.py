"""The chat store: a turn's state saved and loaded, a delivery handled once, a turn held
by one process at a time and given back by its save, and a parallel turn of the same
chat never overwritten."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FrozenClock
from core.db.database import Database
from core.errors import ConcurrentUpdate
from core.messaging.chats import TURN_LEASE, ConversationStore, Snapshot
from core.models import ChatTurn, Contact
from core.vocab import Channel, contact_kind
from testkit.factories import adult, count_rows

CHAT = "4242"


async def _opened(store: ConversationStore, chat: str, delivery: str, *, channel=None):
    """One turn opened and given back unsaved: the chat as it was loaded."""
    async with store.turn(channel or Channel.TELEGRAM, chat, delivery) as (snapshot, _):
        return snapshot


async def test_a_chat_is_saved_and_loaded_with_its_linked_card(db, clock):
    store = ConversationStore(db, clock)
    async with store.turn(Channel.TELEGRAM, CHAT, "update-1") as (first, waited):
        assert first is not None
        assert not waited
        assert (first.version, first.state, first.patient_id) == (0, {}, None)
        first.state.update(lang="uk", step="book")
        await store.save(first)
        assert await count_rows(db, ChatTurn) == 0  # given back by the save itself

    patient_id = await adult(db, clock)

    async def link(session: AsyncSession) -> None:
        kind = contact_kind(Channel.TELEGRAM)
        session.add(Contact(patient_id=patient_id, kind=kind, value=CHAT, verified=True))

    await db.write(link)
    saved_at = clock.now()
    clock.advance(timedelta(minutes=3))
    again = await _opened(store, CHAT, "update-2")
    assert again is not None
    assert again.state == {"lang": "uk", "step": "book"}
    assert again.version == 1
    assert again.last_inbound_at == saved_at
    assert again.patient_id == patient_id
    # The same chat id on another channel is another chat.
    other = await _opened(store, CHAT, "update-2", channel=Channel.WHATSAPP)
    assert other is not None
    assert (other.version, other.state, other.patient_id) == (0, {}, None)
    assert await count_rows(db, ChatTurn) == 0  # unsaved turns given back too


async def test_a_redelivery_is_not_a_new_turn(db, clock):
    store = ConversationStore(db, clock)
    assert await _opened(store, CHAT, "update-1") is not None
    assert await _opened(store, CHAT, "update-1") is None
    await store.forget_delivery(Channel.TELEGRAM, "update-1")
    assert await _opened(store, CHAT, "update-1") is not None


async def test_a_second_turn_waits_for_the_first_to_be_given_back(
    db: Database, clock: FrozenClock
) -> None:
    store = ConversationStore(db, clock)
    order: list[str] = []

    async def second() -> bool:
        async with store.turn(Channel.TELEGRAM, CHAT, "update-2") as opened:
            snapshot, waited = opened
            order.append("second")
            assert snapshot is not None
            assert snapshot.state == {"step": "first"}  # the first turn's state, saved
            return waited

    async with store.turn(Channel.TELEGRAM, CHAT, "update-1") as (first, _):
        assert first is not None
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.2)
        assert order == []  # held off while the first turn holds the chat
        order.append("first")
        first.state["step"] = "first"
        await store.save(first)
    assert await waiting
    assert order == ["first", "second"]


@pytest.mark.parametrize("started", [False, True])
async def test_the_turn_that_saves_second_is_refused(db, clock, started):
    """A turn so slow that its lease ran out, and the next one took the chat: both hold
    the same version (or both would create the chat), and the first save wins."""
    store = ConversationStore(db, clock)
    if started:
        async with store.turn(Channel.TELEGRAM, CHAT, "update-0") as (opening, _):
            assert opening is not None
            await store.save(opening)
    async with store.turn(Channel.TELEGRAM, CHAT, "update-1") as (one, _):
        clock.advance(TURN_LEASE)  # the first turn's process stalled
        async with store.turn(Channel.TELEGRAM, CHAT, "update-2") as (two, waited):
            assert not waited  # taken over, not waited for
            assert isinstance(one, Snapshot)
            assert isinstance(two, Snapshot)
            one.state["step"] = "first"
            two.state["step"] = "second"
            await store.save(one)
            with pytest.raises(ConcurrentUpdate):
                await store.save(two)
    latest = await _opened(store, CHAT, "update-3")
    assert latest is not None
    assert latest.state == {"step": "first"}
    assert latest.version == one.version == (2 if started else 1)
    assert await count_rows(db, ChatTurn) == 0
