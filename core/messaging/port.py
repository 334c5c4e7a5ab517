"""The one interface every messaging channel is reached through, in the engine's words.

The dispatcher (`core.messaging.notifications`) hands a channel's `Sender` an
`Outgoing` message of one of three topics; the channel words and shapes it
(bot/notices.py) and answers with the platform's message id, or with one of two
errors: `Undeliverable` (try the next channel) and `TryLater` (the next channel,
and this one again later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

# What a notification is about (its `topic`): what each channel words differently.
REMINDER = "reminder"
WAITLIST_OFFER = "waitlist_offer"
STAFF_REPLY = "staff_reply"
WAITLIST_BOOKED = "waitlist_booked"  # a freed time booked for a patient who opted in
BOOKING_LINK = "booking_link"  # a single-use booking link (core.messaging.booking_links)


@dataclass(frozen=True)
class Outgoing:
    """A message as the engine means it; each channel words and shapes it (buttons, numbers,
    keywords). `text` is final for reminders and staff replies; an offer is worded by the
    channel from `params`. `actions`: the visit (or offer) the patient can act on."""

    topic: str
    language: str
    text: str
    params: Mapping[str, str] = field(default_factory=dict)
    booking_id: int | None = None
    offer_id: int | None = None
    actions: bool = False


class Undeliverable(Exception):
    """This channel will not take it (blocked, unknown address, not configured): next one."""


class TryLater(Exception):
    """This channel cannot take it now (timeout, 5xx, 429): next one, and retry later."""


class Sender(Protocol):
    async def send(self, address: str, message: Outgoing) -> str:
        """Hand `message` to the platform; its message id. Raises `Undeliverable`/`TryLater`."""
        ...


class Pace(Protocol):
    """A platform's send limits: `turn` waits until one more call to `key` (a chat) keeps
    within them, overall and per key. One process paces itself; several share a pace
    through Redis (`edge/redis_pace.py`)."""

    async def turn(self, key: str) -> None: ...


class SentLedger(Protocol):
    """What a provider can tell of our messages to an address: for a notification caught
    mid-send by a crash, whether it went out after all (Twilio's message list can;
    Telegram keeps no list a bot may read)."""

    async def sent_since(self, address: str, since: datetime) -> str | None:
        """The provider's id of a message to `address` created at or after `since`, None
        when it lists none. Raises `TryLater` when it cannot tell now."""
        ...
