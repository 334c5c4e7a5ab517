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
from core.models import Conversation, InboundMessage
from core.vocab import Channel


@dataclass
class Snapshot:
    """A chat's state as loaded; `version` guards the save against a parallel writer."""

    channel: Channel
    chat_id: str
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    last_inbound_at: datetime | None = None


class ConversationStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def first_delivery(self, channel: Channel, external_id: str) -> bool:
        """Record a delivery; False when it was handled before (a redelivery)."""

        async def work(session: AsyncSession) -> bool:
            inserted = await session.execute(
                insert_or_skip(session, InboundMessage, "channel", "external_id")
                .values(channel=channel, external_id=external_id, received_at=self.clock.now())
                .returning(col(InboundMessage.id))
            )
            return inserted.first() is not None

        return await self.db.write(work)

    async def forget_delivery(self, channel: Channel, external_id: str) -> None:
        """Undo `first_delivery` after a failure, so the platform's retry is handled."""

        async def work(session: AsyncSession) -> None:
            await session.execute(
                delete(InboundMessage).where(
                    col(InboundMessage.channel) == channel,
                    col(InboundMessage.external_id) == external_id,
                )
            )

        await self.db.write(work)

    async def load(self, channel: Channel, chat_id: str) -> Snapshot:
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(Conversation).where(
                        col(Conversation.channel) == channel, col(Conversation.chat_id) == chat_id
                    )
                )
            ).scalar_one_or_none()
        if row is None:
            return Snapshot(channel, chat_id)
        return Snapshot(channel, chat_id, dict(row.state), row.version, row.last_inbound_at)

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
