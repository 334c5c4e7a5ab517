"""Counting the statements a piece of work sends: a count is behaviour, not timing.

Used by the tests that hold a path to its number of round trips and by the
benchmark report. The transaction's own BEGIN (SQLite's, sent as a statement;
asyncpg's is not) is not counted, so both databases give the same number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements sent on `engine` inside the block, in order (first line of each)."""
    sent: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(statement.split("\n", 1)[0])

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
