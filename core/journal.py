"""The booking's change history and the outbox, written in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.actors import Actor
from core.cause import current_cause
from core.models import BookingChange, OutboxEvent
from core.vocab import EventKind


def plain(value: Any) -> Any:
    """A JSON-safe form of a value kept in history or an event payload."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_change(
    session: AsyncSession,
    *,
    booking_id: int,
    actor: Actor,
    action: str,
    at: datetime,
    changes: dict[str, tuple[Any, Any]],
) -> None:
    session.add(
        BookingChange(
            booking_id=booking_id,
            at=at,
            actor_kind=actor.kind,
            actor=actor.id,
            channel=actor.channel,
            action=action,
            changes={k: [plain(old), plain(new)] for k, (old, new) in changes.items()},
        )
    )


def emit(
    session: AsyncSession,
    kind: EventKind,
    *,
    at: datetime,
    booking_id: int | None = None,
    **payload: Any,
) -> None:
    session.add(
        OutboxEvent(
            kind=kind,
            booking_id=booking_id,
            created_at=at,
            payload={k: plain(v) for k, v in payload.items()},
            cause=current_cause(),
        )
    )
