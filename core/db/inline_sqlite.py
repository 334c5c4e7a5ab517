"""SQLite on the event loop's own thread: aiosqlite's connection without its worker thread.

aiosqlite runs every call on a thread of its own and hands the result back to
the loop: two thread wake-ups per statement. SQLite answers our statements in
microseconds, so the hand-over is the cost: measured on the 2-core VM this
project is built on, 1.6-2.2 ms per statement, against a few microseconds for
the statement itself (a turn of the chat makes 10-20 of them). Here the calls
run where they are made. A statement now holds the loop while it runs, which
for this schema and its indexes is well under a millisecond, and a write that
finds the database locked by another process gives up quickly
(`INLINE_BUSY_TIMEOUT_MS`) and is retried by `Database.write` with an async wait,
so the loop is never parked in SQLite's busy handler.

It plugs in below SQLAlchemy's aiosqlite dialect (`async_creator`), so the
engine, the dialect and every query stay as they are.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Generator
from functools import partial
from typing import Any

import aiosqlite

INLINE_BUSY_TIMEOUT_MS = 50
_CURSOR_CHUNK = 64


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting caller, as the thread would
            if future is not None and not future.done():
                future.set_exception(exc)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, _CURSOR_CHUNK)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()  # no worker thread to start


def inline_creator(path: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """The `async_creator` for an engine on the SQLite file at `path`."""

    async def connect() -> aiosqlite.Connection:
        return await InlineConnection(partial(sqlite3.connect, path, check_same_thread=False))

    return connect
