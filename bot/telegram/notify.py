"""Notifications to Telegram chats, within Telegram's limits.

Telegram allows a bot about 30 messages a second overall and one a second per chat;
beyond that it answers 429 with `retry_after`. The limiter keeps under both, so in
steady state no 429 comes back; one that does is waited out when short, else the
notification is retried later (`TryLater`). A chat that blocked the bot or does not
exist is `Undeliverable`: the dispatcher moves on to the patient's next channel. One
process paces itself (`LocalPace`); several share one pace through Redis
(`edge/redis_pace.py`), handed in by the root.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import SendMessage
from aiolimiter import AsyncLimiter

from bot.notices import word
from bot.telegram.outbox import Outbox
from bot.telegram.render import render
from core.messaging.port import Outgoing, Pace, TryLater, Undeliverable

MESSAGES_PER_SECOND = 30
SAFETY = 1.02  # spacing a little wider than the limit, so timer jitter never breaks it
PER_CHAT_SECONDS = 1.0


class PerChatPace:
    """At most one message a second to one chat: waits until the chat's second has passed."""

    def __init__(self, interval: float = PER_CHAT_SECONDS) -> None:
        self.interval = interval
        self._next: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = time.monotonic()
        at = max(now, self._next.get(chat_id, 0.0))
        self._next[chat_id] = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
        if len(self._next) > 10_000:  # forget chats whose second is long past
            self._next = {c: t for c, t in self._next.items() if t > now}


class LocalPace:
    """This process's pace: `per_second` overall, one a second per chat."""

    def __init__(self, per_second: float = MESSAGES_PER_SECOND) -> None:
        # One message per interval, evenly spaced: a bucket as large as the rate would let a
        # burst of 30 through on top of the steady 30 a second, and Telegram counts both.
        self.limiter = AsyncLimiter(1, SAFETY / per_second)
        self.per_chat = PerChatPace()

    async def turn(self, key: str) -> None:
        await self.per_chat.wait(int(key))
        await self.limiter.acquire()


class TelegramSender:
    def __init__(
        self, bot: Bot, *, per_second: float = MESSAGES_PER_SECOND, pace: Pace | None = None
    ) -> None:
        self.outbox = Outbox(bot)
        self.pace: Pace = pace or LocalPace(per_second)

    async def send(self, address: str, message: Outgoing) -> str:
        if not address.lstrip("-").isdigit():
            raise Undeliverable("not a Telegram chat id")
        chat_id = int(address)
        sent: list[str] = []
        for method in render(chat_id, word(message)):
            await self.pace.turn(str(chat_id))
            result = await self._call(method)
            if isinstance(method, SendMessage):
                sent.append(str(getattr(result, "message_id", "")))
        return ",".join(sent)

    async def _call(self, method: Any) -> Any:
        try:
            return await self.outbox.attempt(method)
        except TelegramForbiddenError:
            raise Undeliverable("the chat blocked the bot") from None
        except TelegramBadRequest as exc:
            raise Undeliverable(f"refused: {exc.message}"[:80]) from None
        except TelegramRetryAfter as exc:
            raise TryLater(f"throttled for {exc.retry_after}s") from None
        except (TelegramAPIError, ClientDecodeError) as exc:  # network, 5xx and the rest
            raise TryLater(type(exc).__name__) from None
