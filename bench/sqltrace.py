"""Where a call's time goes: SQL statements timed by shape, through engine events."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_SHAPE = re.compile(
    r"^(SELECT\s+(?:DISTINCT\s+)?)(\S+?),?\s.*?\bFROM\s+(.*?)(?:\s+WHERE\b|$)", re.S
)


def shape(statement: str) -> str:
    """A short label for a statement: its first column and its FROM clause."""
    flat = " ".join(statement.split())
    found = _SHAPE.match(flat)
    if found is None:
        return flat[:80]
    head, first, source = found.groups()
    more = ", …" if flat[len(head) + len(first)] == "," else ""
    tables = " JOIN ".join(re.findall(r"(?:^|\bJOIN\s+)(\w+)", source))
    return f"{head}{first}{more} FROM {tables}"


@dataclass(frozen=True)
class StatementCost:
    label: str
    per_call: float  # executions per traced call
    ms_per_call: float  # milliseconds per traced call


class StatementTimer:
    """Accumulates time per statement shape for everything run on `engine`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.spent: dict[str, list[float]] = defaultdict(list)
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _statement: str, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.spent[shape(statement)].append(time.perf_counter() - conn.info["bench_started"])

    def costs(self, calls: int, top: int = 4) -> list[StatementCost]:
        """The `top` statement shapes by time, per call, after `calls` traced calls."""
        ranked = sorted(self.spent.items(), key=lambda item: -sum(item[1]))[:top]
        return [StatementCost(label, len(t) / calls, sum(t) / calls * 1000) for label, t in ranked]
