"""Long polling: how updates arrive when the app has no public URL (a clinic behind NAT, a laptop).

A small `getUpdates` loop rather than aiogram's Dispatcher, so polled updates
take exactly the webhook's path (`answer_update`). An update is confirmed
(the next `offset`) once answered; a failing one is retried a few times,
then skipped, so one bad update cannot stall the bot. Updates answered but
not yet confirmed at shutdown come again at the next start: the dialog
dedupes them.

A webhook set for the same bot (another deployment) makes `getUpdates`
answer 409; it is never deleted from here: polling waits and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramConflictError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update

from bot.telegram.outbox import Sleep, describe

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
POLL_SECONDS = 30  # how long Telegram holds a getUpdates open
REQUEST_MARGIN = 10  # the HTTP timeout is the poll plus this
MAX_ATTEMPTS = 3  # of one update, before it is skipped
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
CONFLICT = "409: a webhook is set for this bot, or another process polls it"
STOP_GRACE = 10.0  # seconds an update being answered may take to finish at shutdown

T = TypeVar("T")
Handle = Callable[[Update], Awaitable[None]]


class Poller:
    def __init__(
        self,
        bot: Bot,
        handle: Handle,
        *,
        poll_seconds: int = POLL_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.poll_seconds = poll_seconds
        self.sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._waiting = False  # in getUpdates or a backoff: safe to cancel
        self._failures: dict[int, int] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop at once when waiting; let an update being answered finish (bounded)."""
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        if self._waiting:
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE)
        if not done:
            log.warning("telegram polling: an update took too long at shutdown; cancelled")
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        try:
            await self._poll()
        except Exception:  # a bug here must not die silently with the task
            log.exception("telegram polling stopped on an unexpected error")

    async def _poll(self) -> None:
        offset: int | None = None
        errors = 0
        while not self._stopping:
            try:
                updates = await self._wait(
                    self.bot.get_updates(
                        offset=offset,
                        timeout=self.poll_seconds,
                        allowed_updates=ALLOWED_UPDATES,
                        request_timeout=self.poll_seconds + REQUEST_MARGIN,
                    )
                )
            except TelegramUnauthorizedError:
                log.error("telegram polling: the bot token was refused; polling stops")
                return
            except (TelegramAPIError, ClientDecodeError) as exc:
                reason = CONFLICT if isinstance(exc, TelegramConflictError) else describe(exc)
                log.warning("telegram polling: getUpdates failed (%s)", reason)
                await self._wait(self.sleep(BACKOFF[min(errors, len(BACKOFF) - 1)]))
                errors += 1
                continue
            errors = 0
            for update in updates:
                if self._stopping or not await self._answer(update):
                    break
                offset = update.update_id + 1

    async def _answer(self, update: Update) -> bool:
        """True when the update is done with: answered, or given up on."""
        try:
            await self.handle(update)
        except Exception:
            attempts = self._failures.get(update.update_id, 0) + 1
            if attempts >= MAX_ATTEMPTS:
                self._failures.pop(update.update_id, None)
                log.exception("telegram polling: an update failed %d times; skipped", attempts)
                return True
            self._failures[update.update_id] = attempts
            log.exception("telegram polling: an update failed; it will be retried")
            await self._wait(self.sleep(BACKOFF[attempts - 1]))
            return False
        self._failures.pop(update.update_id, None)
        return True

    async def _wait(self, waiting: Coroutine[Any, Any, T]) -> T:
        """Await something `stop` may cancel (a poll, a backoff), never an answer in progress."""
        if self._stopping:
            waiting.close()
            raise asyncio.CancelledError
        self._waiting = True
        try:
            return await waiting
        finally:
            self._waiting = False
