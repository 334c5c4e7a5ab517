"""Sending after the webhook has answered, in order per chat.

Telegram waits for our 200 before it sends the bot further updates on that
connection, and our own calls to the Bot API take a round trip each (two to
four per update): so the webhook commits the dialog's turn, answers, and
leaves the sending to a task queued behind that chat's earlier sends.

The window this opens is deliberate: if the process dies between the 200 and
the send, the patient does not see that turn's reply (their state is saved;
typing anything shows where they are). Holding the webhook open instead would
only make Telegram redeliver an update the dialog then skips as handled.
On shutdown the queues are drained before the Bot API session is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

Job = Callable[[], Awaitable[object]]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0


class ChatQueues:
    """Background jobs run one after another per key (a chat), concurrently across keys."""

    def __init__(self) -> None:
        self._tails: dict[object, asyncio.Task[None]] = {}

    def submit(self, key: object, job: Job) -> None:
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, job))
        self._tails[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    @staticmethod
    async def _run(previous: asyncio.Task[None] | None, job: Job) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own; only the order matters here
        try:
            await job()
        except Exception:
            log.exception("telegram: a background send failed")

    def _forget(self, key: object, done: asyncio.Task[None]) -> None:
        if self._tails.get(key) is done:
            del self._tails[key]

    async def drain(self) -> None:
        """Wait until every queued job has run."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))

    async def close(self) -> None:
        """Drain for at most `DRAIN_SECONDS`, then cancel what is left (logged as dropped)."""
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                await self.drain()
        except TimeoutError:
            pending = list(self._tails.values())
            log.warning("telegram: %d chats' sends dropped at shutdown", len(pending))
            for task in pending:
                task.cancel()
