"""Sending to Telegram so that a failed send never fails the update that caused it.

The update is already recorded as handled when we send: raising would only
make Telegram redeliver an update the dialog then skips. So every failure is
logged and swallowed here, once for all callers:
- 403 (the patient blocked the bot): nothing more goes to that chat now;
- 429: waited out once when short (at most `max_retry_wait`), else dropped;
- anything else (400, 5xx, network): logged, next message.
Logs name the method and Telegram's description, never a text, a phone, a
chat id or the token (a network error's text may hold the URL, so only its
class is logged).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    Response,
    SendDocument,
    SendMessage,
    TelegramMethod,
)

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 5.0  # seconds; the webhook request is still open while we wait
NOT_MODIFIED = "message is not modified"

Sleep = Callable[[float], Coroutine[Any, Any, None]]

# aiogram parses every answer as `Response[<the method's result type>]`, and pydantic keeps
# such parametrized models only weakly: once collected, the next call builds the model again
# (about 10 ms of CPU each, measured by bench/webhook.py). Holding the ones we call keeps
# every call after the first a cache hit.
_RESPONSE_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, SendDocument, EditMessageReplyMarkup, AnswerCallbackQuery)
)


def describe(exc: Exception) -> str:
    """A Bot API failure for the log: Telegram's description, or only the class for network
    errors (their text may hold the URL, and so the token) and throttling (names the chat)."""
    if isinstance(exc, TelegramNetworkError | TelegramRetryAfter) or not isinstance(
        exc, TelegramAPIError
    ):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc.message}"


class Sent(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    UNREACHABLE = "unreachable"  # the chat is closed to the bot: stop sending to it


class Outbox:
    def __init__(
        self, bot: Bot, *, max_retry_wait: float = MAX_RETRY_WAIT, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.bot = bot
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep

    async def deliver(self, methods: Iterable[TelegramMethod[Any]]) -> Sent:
        """Send in order; stop at a chat that is closed to the bot."""
        outcome = Sent.OK
        for method in methods:
            sent = await self.call(method)
            if sent is Sent.UNREACHABLE:
                return sent
            if sent is Sent.FAILED:
                outcome = sent
        return outcome

    async def call(self, method: TelegramMethod[Any]) -> Sent:
        """One Bot API call; never raises for anything Telegram or the network does."""
        name = method.__api_method__
        try:
            await self.attempt(method)
        except TelegramForbiddenError:
            log.info("telegram %s: the chat is closed to the bot (blocked or deleted)", name)
            return Sent.UNREACHABLE
        except TelegramBadRequest as exc:
            if NOT_MODIFIED in exc.message:
                return Sent.OK
            log.warning("telegram %s refused: %s", name, exc.message)
        except TelegramRetryAfter as exc:  # its message names the chat: not logged
            log.warning("telegram %s: throttled for %ss, not sent", name, exc.retry_after)
        except TelegramNetworkError:
            log.warning("telegram %s: network error, not sent", name)
        except TelegramAPIError as exc:
            log.warning("telegram %s failed (%s): %s", name, type(exc).__name__, exc.message)
        except ClientDecodeError:
            log.warning("telegram %s: unreadable answer from the Bot API server", name)
        else:
            return Sent.OK
        return Sent.FAILED

    async def attempt(self, method: TelegramMethod[Any]) -> Any:
        """One Bot API call, a short 429 waited out once; Telegram's errors are raised."""
        try:
            return await self.bot(method)
        except TelegramRetryAfter as exc:
            if exc.retry_after > self.max_retry_wait:
                raise
            await self.sleep(exc.retry_after)
            return await self.bot(method)
