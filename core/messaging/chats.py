"""Where a chat stands, kept in the database so any process can take the next message,
and which platform deliveries were already handled (platforms redeliver)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip, insert_or_skip_on
from core.errors import ConcurrentUpdate
from core.models import ChatTurn, Contact, Conversation, InboundMessage, PrivacyNotice
from core.vocab import Channel, contact_kind


@dataclass
class Snapshot:
    """A chat's state as loaded; `version` guards the save against a parallel writer."""

    channel: Channel
    chat_id: str
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    last_inbound_at: datetime | None = None
    patient_id: int | None = None  # the clinic card this chat is linked to, if any
    owner: str | None = None  # the turn this snapshot holds, until `save` gives it back


TURN_LEASE = timedelta(seconds=30)  # a process lost mid-turn holds its chat this long
TURN_POLL_SECONDS = 0.05


class ConversationStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    @asynccontextmanager
    async def turn(
        self, channel: Channel, chat_id: str, external_id: str
    ) -> AsyncIterator[tuple[Snapshot | None, bool]]:
        """Answer one delivery while no other process answers a turn of this chat: the
        chat's turn row is claimed (taken over once its lease ran out), the delivery
        recorded and the chat loaded in one transaction, and `save` gives the turn back
        in its own (here, after a failure). Yields the chat (None for a redelivery) and
        whether another turn had to be waited for (a double tap landing on two processes)."""
        owner = secrets.token_hex(8)
        waited = False
        while True:
            claimed, snapshot = await self._open(channel, chat_id, external_id, owner)
            if claimed:
                break
            waited = True
            await asyncio.sleep(TURN_POLL_SECONDS)
        try:
            yield snapshot, waited
        finally:
            if snapshot is not None and snapshot.owner is not None:  # not saved
                await self._end_turn(channel, chat_id, owner)

    async def _open(
        self, channel: Channel, chat_id: str, external_id: str, owner: str
    ) -> tuple[bool, Snapshot | None]:
        """Whether the turn was claimed, and the chat: one transaction for what every
        message pays first, since a turn's cost is mostly round trips to the database."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> tuple[bool, Snapshot | None]:
            conn = await session.connection()
            chat = {"of_channel": channel, "of_chat": chat_id}
            lease = {**chat, "owner": owner, "until": now + TURN_LEASE, "now": now}
            if (await conn.execute(_claim(self.db.dialect), lease)).first() is None:
                return False, None
            delivery = {**chat, "external_id": external_id, "received_at": now}
            recorded = await conn.execute(_record_delivery(self.db.dialect), delivery)
            if recorded.first() is None:  # a redelivery: nothing to answer, the turn given back
                await conn.execute(_END_TURN, {**chat, "owner": owner})
                return True, None
            row = (await conn.execute(_LOAD, chat)).first()
            linked = await conn.execute(_LINKED, {**chat, "kind": contact_kind(channel)})
            patient_id = linked.scalar_one_or_none()
            if row is None:
                return True, Snapshot(channel, chat_id, patient_id=patient_id, owner=owner)
            state, version, last_inbound_at = row
            return True, Snapshot(
                channel, chat_id, dict(state), version, last_inbound_at, patient_id, owner
            )

        return await self.db.write(work)

    async def _end_turn(self, channel: Channel, chat_id: str, owner: str) -> None:
        async def work(session: AsyncSession) -> None:
            conn = await session.connection()
            await conn.execute(
                _END_TURN, {"of_channel": channel, "of_chat": chat_id, "owner": owner}
            )

        await self.db.write(work)

    async def notice_privacy(self, channel: Channel, chat_id: str) -> bool:
        """Record that this chat is shown the information notice now; False when it was
        shown before (once per chat, whichever process asks first)."""

        async def work(session: AsyncSession) -> bool:
            inserted = await session.execute(
                insert_or_skip(session, PrivacyNotice, "channel", "chat_id")
                .values(channel=channel, chat_id=chat_id, shown_at=self.clock.now())
                .returning(col(PrivacyNotice.id))
            )
            return inserted.first() is not None

        return await self.db.write(work)

    async def offer_buttons(
        self, channel: Channel, chat_id: str, payloads: list[str], language: str
    ) -> None:
        """Make `payloads` the chat's current buttons (a notification's options), so a typed
        number picks one as it would in the conversation. A parallel turn wins: its own
        buttons are what the patient saw last."""

        async def work(session: AsyncSession) -> None:
            row = await _chat(session, channel, chat_id)
            now = self.clock.now()
            if row is None:
                state = {"lang": language, "buttons": payloads}
                session.add(
                    Conversation(
                        channel=channel, chat_id=chat_id, state=state, version=1, updated_at=now
                    )
                )
                return
            await session.execute(
                update(Conversation)
                .where(col(Conversation.id) == row.id, col(Conversation.version) == row.version)
                .values(state={**row.state, "buttons": payloads}, version=row.version + 1)
                .execution_options(synchronize_session=False)
            )

        await self.db.write(work)

    async def forget_delivery(self, channel: Channel, external_id: str) -> None:
        """Undo `begin`'s record after a failure, so the platform's retry is handled."""

        async def work(session: AsyncSession) -> None:
            await session.execute(
                delete(InboundMessage).where(
                    col(InboundMessage.channel) == channel,
                    col(InboundMessage.external_id) == external_id,
                )
            )

        await self.db.write(work)

    async def save(self, snapshot: Snapshot, *, inbound: bool = True) -> None:
        """Store the new state and give the turn back, in one transaction;
        `ConcurrentUpdate` if another process saved meanwhile."""
        now = self.clock.now()
        last_inbound = now if inbound else snapshot.last_inbound_at

        async def work(session: AsyncSession) -> None:
            conn = await session.connection()
            values = {
                "of_channel": snapshot.channel,
                "of_chat": snapshot.chat_id,
                "new_state": snapshot.state,
                "new_version": snapshot.version + 1,
                "new_last_inbound_at": last_inbound,
                "new_updated_at": now,
            }
            if snapshot.version == 0:
                created = await conn.execute(_start(self.db.dialect), values)
                if created.first() is None:
                    raise ConcurrentUpdate("the conversation was started meanwhile")
            else:
                changed = await conn.execute(_SAVE, {**values, "expected": snapshot.version})
                if changed.first() is None:
                    raise ConcurrentUpdate("the conversation changed meanwhile")
            if snapshot.owner is not None:
                turn = {"of_channel": snapshot.channel, "of_chat": snapshot.chat_id}
                await conn.execute(_END_TURN, {**turn, "owner": snapshot.owner})

        await self.db.write(work)
        snapshot.version += 1
        snapshot.last_inbound_at = last_inbound
        snapshot.owner = None


async def _chat(session: AsyncSession, channel: Channel, chat_id: str) -> Conversation | None:
    return (
        await session.execute(
            select(Conversation).where(
                col(Conversation.channel) == channel, col(Conversation.chat_id) == chat_id
            )
        )
    ).scalar_one_or_none()


# Every turn runs the statements below: they are built once (per backend where the
# syntax differs), since building one costs more than running it on SQLite.
_CONVERSATION: Table = Conversation.__table__  # type: ignore[attr-defined]
_INBOUND: Table = InboundMessage.__table__  # type: ignore[attr-defined]
_CONTACT: Table = Contact.__table__  # type: ignore[attr-defined]
_TURN: Table = ChatTurn.__table__  # type: ignore[attr-defined]
_END_TURN = delete(_TURN).where(
    _TURN.c.channel == bindparam("of_channel"),
    _TURN.c.chat_id == bindparam("of_chat"),
    _TURN.c.owner == bindparam("owner"),
)
_THIS_CHAT = (
    _CONVERSATION.c.channel == bindparam("of_channel"),
    _CONVERSATION.c.chat_id == bindparam("of_chat"),
)
_LOAD = select(
    _CONVERSATION.c.state, _CONVERSATION.c.version, _CONVERSATION.c.last_inbound_at
).where(*_THIS_CHAT)
_LINKED = select(_CONTACT.c.patient_id).where(
    _CONTACT.c.kind == bindparam("kind"), _CONTACT.c.value == bindparam("of_chat")
)
_NEW_VALUES: dict[str, Any] = {
    "state": bindparam("new_state"),
    "version": bindparam("new_version"),
    "last_inbound_at": bindparam("new_last_inbound_at"),
    "updated_at": bindparam("new_updated_at"),
}
_SAVE = (
    update(_CONVERSATION)
    .where(*_THIS_CHAT, _CONVERSATION.c.version == bindparam("expected"))
    .values(_NEW_VALUES)
    .returning(_CONVERSATION.c.id)
)


@lru_cache(maxsize=2)
def _record_delivery(dialect: str) -> Any:
    return (
        insert_or_skip_on(dialect, _INBOUND, "channel", "external_id")
        .values(
            channel=bindparam("of_channel"),
            external_id=bindparam("external_id"),
            received_at=bindparam("received_at"),
        )
        .returning(_INBOUND.c.id)
    )


@lru_cache(maxsize=2)
def _start(dialect: str) -> Any:
    return (
        insert_or_skip_on(dialect, _CONVERSATION, "channel", "chat_id")
        .values(channel=bindparam("of_channel"), chat_id=bindparam("of_chat"), **_NEW_VALUES)
        .returning(_CONVERSATION.c.id)
    )


@lru_cache(maxsize=2)
def _claim(dialect: str) -> Any:
    """The chat's turn row inserted, or taken over when its lease has run out; a row
    returned means this turn holds the chat."""
    backend = postgresql if dialect == "postgresql" else sqlite
    insert = backend.insert(_TURN).values(
        channel=bindparam("of_channel"),
        chat_id=bindparam("of_chat"),
        owner=bindparam("owner"),
        until=bindparam("until"),
    )
    return insert.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={"owner": insert.excluded.owner, "until": insert.excluded.until},
        where=_TURN.c.until <= bindparam("now"),
    ).returning(_TURN.c.id)
