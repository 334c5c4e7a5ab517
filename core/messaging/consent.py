"""What a patient said about messages to an address: STOP (no more non-essential messages)
or START (again), each kept with its time and channel. The newest word of an address holds.

The dispatcher asks `allowed` before every non-essential message (reminders, offers, the
booking links of a recall campaign); what the patient asked for (the desk's reply, the
answer to their own text, a link sent on their call, a booking made for them) is
essential and goes regardless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.messaging.port import REMINDER, WAITLIST_OFFER
from core.models import MessagingConsent
from core.vocab import Channel

NON_ESSENTIAL = frozenset({REMINDER, WAITLIST_OFFER})
RECALL = "recall"  # in a notification's params: a link the desk sent unasked, to a list


def record(
    session: AsyncSession,
    channel: Channel,
    address: str,
    *,
    stopped: bool,
    keyword: str,
    at: datetime,
) -> None:
    """Keep the patient's STOP or START (inside the caller's transaction)."""
    session.add(
        MessagingConsent(
            channel=channel, address=address, stopped=stopped, keyword=keyword[:16], at=at
        )
    )


async def stopped(
    session: AsyncSession, addresses: Sequence[tuple[Channel, str]]
) -> set[tuple[Channel, str]]:
    """The addresses among `addresses` whose newest word is STOP."""
    if not addresses:
        return set()
    newest = (
        select(func.max(col(MessagingConsent.id)))
        .where(tuple_(col(MessagingConsent.channel), col(MessagingConsent.address)).in_(addresses))
        .group_by(col(MessagingConsent.channel), col(MessagingConsent.address))
    )
    rows = await session.execute(
        select(col(MessagingConsent.channel), col(MessagingConsent.address)).where(
            col(MessagingConsent.id).in_(newest), col(MessagingConsent.stopped)
        )
    )
    return {(channel, address) for channel, address in rows}


def essential(topic: str, params: Mapping[str, Any]) -> bool:
    """Whether a message of `topic` goes to an address that said STOP."""
    return topic not in NON_ESSENTIAL and not params.get(RECALL)


async def allowed(
    session: AsyncSession,
    topic: str,
    params: Mapping[str, Any],
    addresses: Sequence[tuple[Channel, str]],
) -> list[tuple[Channel, str]]:
    """The addresses a message may go to: all for an essential one, else those that did
    not say STOP."""
    if essential(topic, params):
        return list(addresses)
    refused = await stopped(session, addresses)
    return [a for a in addresses if a not in refused]
