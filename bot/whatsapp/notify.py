"""Notifications by WhatsApp and by SMS, both through Twilio's Messages API.

WhatsApp: the notice as the dialog would render it (numbered options). The
options are stored as the chat's current buttons, so the patient's "1" means
"I will come" as it would in a conversation. Outside the 24-hour window
WhatsApp takes only an approved template: the configured Content SID with the
visit's date, time and address as its variables (1, 2, 3); without one, the
channel is skipped for the next (SMS).

SMS: the notice's text alone, no options: it is the least private channel and
the one that costs per message, so it carries only what the template says, and the
words a reply may use when it is two-way. Sends keep within Twilio's pace for one
sender (10 messages a second for a long code by default; over it Twilio answers 429),
never more in any second, counted until Twilio answered (`SenderPace`); with Redis, every
process shares one evenly spaced pace a little under it (`RedisSenderPace`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from bot.notices import reply_words, word
from bot.whatsapp.render import render_turn
from core.messaging.chats import ConversationStore
from core.messaging.port import Outgoing, TryLater, Undeliverable
from core.vocab import Channel
from edge.twilio_rest import OutsideSessionWindow, TwilioClient, TwilioError, TwilioUnavailable


def _refusal(error: TwilioError) -> Exception:
    if isinstance(error, TwilioUnavailable) or error.status == 429 or error.status >= 500:
        return TryLater(f"twilio {error.code} (HTTP {error.status})")
    return Undeliverable(f"twilio {error.code} (HTTP {error.status})")


class WhatsAppSender:
    def __init__(
        self, client: TwilioClient, chats: ConversationStore, content_sid: str | None = None
    ) -> None:
        self.client = client
        self.chats = chats
        self.content_sid = content_sid

    async def send(self, address: str, message: Outgoing) -> str:
        reply = word(message)
        sids = []
        try:
            for body in render_turn([reply]):
                sids.append((await self.client.send(address, body)).sid)
        except OutsideSessionWindow:
            return await self._template(address, message)
        except TwilioError as error:
            raise _refusal(error) from None
        if reply.buttons:
            await self.chats.offer_buttons(
                Channel.WHATSAPP, address, reply.payloads(), message.language
            )
        return ",".join(sids)

    async def _template(self, address: str, message: Outgoing) -> str:
        if self.content_sid is None:
            raise Undeliverable("outside the 24-hour window and no template configured")
        p = message.params
        variables = {"1": p.get("date", ""), "2": p.get("time", ""), "3": p.get("address", "")}
        try:
            return (await self.client.send_template(address, self.content_sid, variables)).sid
        except TwilioError as error:
            raise _refusal(error) from None


SMS_PER_SECOND = 10.0  # Twilio's default for one long-code sender
SMS_MARGIN = 0.01  # seconds added to Twilio's window (timer granularity)
SMS_MIN_GAP = 0.8  # of the even spacing: a late turn is made up, never in a burst
# Shared through Redis the turns are only evenly spaced (not counted until answered):
# a tenth under the limit leaves room for the network's jitter.
SMS_SHARED_SHARE = 0.9


class SenderPace:
    """One sender's pace in this process, as Twilio counts it: at most `per_second`
    messages in any second, whoever they go to. A message counts from its turn until
    one second (and `SMS_MARGIN`) after Twilio answered it: Twilio saw it somewhere in
    between, so however late the network delivered the one before, the next never meets
    it inside Twilio's second. Turns are never closer than `SMS_MIN_GAP` of the even
    spacing, so a turn that woke late is made up without a burst."""

    def __init__(self, per_second: float = SMS_PER_SECOND) -> None:
        self.count = max(int(per_second), 1)
        self.span = self.count / per_second + SMS_MARGIN
        self.gap = SMS_MIN_GAP / per_second
        self._live: list[list[float]] = []  # [answered at] of each counted message; inf: in flight
        self._last = -math.inf
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for the sender's turn; the message is sent inside the block."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self._live = [m for m in self._live if m[0] > now - self.span]
                at = self._last + self.gap
                if len(self._live) >= self.count:
                    oldest = min(m[0] for m in self._live)
                    at = max(at, oldest + self.span if oldest < math.inf else now + 0.005)
                if at <= now:
                    break
                await asyncio.sleep(at - now)
            self._last = now
            message = [math.inf]
            self._live.append(message)
        try:
            yield
        finally:
            message[0] = time.monotonic()


class Turns(Protocol):
    """A sender's pace: the message is sent inside `turn()` (`SenderPace` in one process,
    `edge.redis_pace.RedisSenderPace` shared by every process through Redis)."""

    def turn(self) -> AbstractAsyncContextManager[None]: ...


class SmsSender:
    def __init__(self, client: TwilioClient, pace: Turns | None = None) -> None:
        self.client = client
        self.pace = pace or SenderPace()

    async def send(self, address: str, message: Outgoing) -> str:
        if message.offer_id is not None:
            raise Undeliverable("an offer needs an answer, and SMS brings none back")
        text = " ".join(filter(None, (word(message).text, reply_words(message))))
        try:
            async with self.pace.turn():
                return (await self.client.send(address, text)).sid
        except TwilioError as error:
            raise _refusal(error) from None


class TwilioTexts:
    """A card's WhatsApp number or phone as the courier's `ContactSender` (linking codes):
    delivered or raised, so the courier moves on to the card's next contact."""

    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def send_text(self, address: str, text: str) -> None:
        await self.client.send(address, text)
