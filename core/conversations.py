"""Where a chat stands, kept in the database so any process can take the next message,
and which platform deliveries were already handled (platforms redeliver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import ConcurrentUpdate
from core.linking import contact_kind
from core.models import Contact, Conversation, InboundMessage
from core.vocab import Channel


@dataclass
class Snapshot:
    """A chat's state as loaded; `version` guards the save against a parallel writer."""

    channel: Channel
    chat_id: str
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    last_inbound_at: datetime | None = None
    patient_id: int | None = None  # the clinic card this chat is linked to, if any


class ConversationStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def begin(self, channel: Channel, chat_id: str, external_id: str) -> Snapshot | None:
        """Record a delivery and load its chat: state and linked card. None for a redelivery.

        One transaction for what every turn needs first: a turn's cost is mostly
        round trips to the database, and this is the one every message pays.
        """

        async def work(session: AsyncSession) -> Snapshot | None:
            inserted = await session.execute(
                insert_or_skip(session, InboundMessage, "channel", "external_id")
                .values(channel=channel, external_id=external_id, received_at=self.clock.now())
                .returning(col(InboundMessage.id))
            )
            if inserted.first() is None:
                return None
            row = await _chat(session, channel, chat_id)
            patient_id = (
                await session.execute(
                    select(col(Contact.patient_id)).where(
                        col(Contact.kind) == contact_kind(channel), col(Contact.value) == chat_id
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                return Snapshot(channel, chat_id, patient_id=patient_id)
            state = dict(row.state)
            return Snapshot(channel, chat_id, state, row.version, row.last_inbound_at, patient_id)

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
        """Store the new state; `ConcurrentUpdate` if another process saved meanwhile."""
        now = self.clock.now()
        last_inbound = now if inbound else snapshot.last_inbound_at

        async def work(session: AsyncSession) -> None:
            if snapshot.version == 0:
                created = await session.execute(
                    insert_or_skip(session, Conversation, "channel", "chat_id")
                    .values(
                        channel=snapshot.channel,
                        chat_id=snapshot.chat_id,
                        state=snapshot.state,
                        version=1,
                        last_inbound_at=last_inbound,
                        updated_at=now,
                    )
                    .returning(col(Conversation.id))
                )
                if created.first() is None:
                    raise ConcurrentUpdate("the conversation was started meanwhile")
                return
            changed = await session.execute(
                update(Conversation)
                .where(
                    col(Conversation.channel) == snapshot.channel,
                    col(Conversation.chat_id) == snapshot.chat_id,
                    col(Conversation.version) == snapshot.version,
                )
                .values(
                    state=snapshot.state,
                    version=snapshot.version + 1,
                    last_inbound_at=last_inbound,
                    updated_at=now,
                )
                .returning(col(Conversation.id))
            )
            if changed.first() is None:
                raise ConcurrentUpdate("the conversation changed meanwhile")

        await self.db.write(work)
        snapshot.version += 1
        snapshot.last_inbound_at = last_inbound


async def _chat(session: AsyncSession, channel: Channel, chat_id: str) -> Conversation | None:
    return (
        await session.execute(
            select(Conversation).where(
                col(Conversation.channel) == channel, col(Conversation.chat_id) == chat_id
            )
        )
    ).scalar_one_or_none()
