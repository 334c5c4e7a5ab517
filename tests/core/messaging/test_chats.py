"""The chat store: a turn's state saved and loaded, a delivery handled once, and a
parallel turn of the same chat never overwritten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConcurrentUpdate
from core.messaging.chats import ConversationStore
from core.models import Contact
from core.vocab import Channel, contact_kind
from testkit.factories import adult

CHAT = "4242"


async def test_a_chat_is_saved_and_loaded_with_its_linked_card(db, clock):
    store = ConversationStore(db, clock)
    first = await store.begin(Channel.TELEGRAM, CHAT, "update-1")
    assert first is not None
    assert (first.version, first.state, first.patient_id) == (0, {}, None)
    first.state.update(lang="uk", step="book")
    await store.save(first)

    patient_id = await adult(db, clock)

    async def link(session: AsyncSession) -> None:
        kind = contact_kind(Channel.TELEGRAM)
        session.add(Contact(patient_id=patient_id, kind=kind, value=CHAT, verified=True))

    await db.write(link)
    saved_at = clock.now()
    clock.advance(timedelta(minutes=3))
    again = await store.begin(Channel.TELEGRAM, CHAT, "update-2")
    assert again is not None
    assert again.state == {"lang": "uk", "step": "book"}
    assert again.version == 1
    assert again.last_inbound_at == saved_at
    assert again.patient_id == patient_id
    # The same chat id on another channel is another chat.
    other = await store.begin(Channel.WHATSAPP, CHAT, "update-2")
    assert other is not None
    assert (other.version, other.state, other.patient_id) == (0, {}, None)


async def test_a_redelivery_is_not_a_new_turn(db, clock):
    store = ConversationStore(db, clock)
    assert await store.begin(Channel.TELEGRAM, CHAT, "update-1") is not None
    assert await store.begin(Channel.TELEGRAM, CHAT, "update-1") is None
    await store.forget_delivery(Channel.TELEGRAM, "update-1")
    assert await store.begin(Channel.TELEGRAM, CHAT, "update-1") is not None


@pytest.mark.parametrize("started", [False, True])
async def test_the_turn_that_saves_second_is_refused(db, clock, started):
    """Two processes took two messages of one chat at once: the first save wins, whether
    the chat is new (both would create it) or not (both hold the same version)."""
    store = ConversationStore(db, clock)
    if started:
        opening = await store.begin(Channel.TELEGRAM, CHAT, "update-0")
        assert opening is not None
        await store.save(opening)
    one = await store.begin(Channel.TELEGRAM, CHAT, "update-1")
    two = await store.begin(Channel.TELEGRAM, CHAT, "update-2")
    assert one is not None
    assert two is not None
    one.state["step"] = "first"
    two.state["step"] = "second"
    await store.save(one)
    with pytest.raises(ConcurrentUpdate):
        await store.save(two)
    latest = await store.begin(Channel.TELEGRAM, CHAT, "update-3")
    assert latest is not None
    assert latest.state == {"step": "first"}
    assert latest.version == one.version == (2 if started else 1)
