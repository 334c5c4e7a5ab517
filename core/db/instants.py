"""An instant plus some minutes, written in SQL each database understands.

The free-slot search asks, inside its candidate read, whether any cell of the
visit is taken: the visit's end is its slot's start plus the service's length,
which SQLite (instants stored as ISO text) and PostgreSQL write differently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core.db.types import UTCDateTime


class minutes_after(FunctionElement[datetime]):
    """`minutes_after(instant, minutes)`: the instant `minutes` later, comparable with a column."""

    type = UTCDateTime()
    name = "minutes_after"
    inherit_cache = True

    def __init__(
        self, instant: Mapped[datetime] | ColumnElement[datetime], minutes: ColumnElement[int]
    ) -> None:
        super().__init__(instant, minutes)


@compiles(minutes_after, "sqlite")
def _sqlite(element: minutes_after, compiler: SQLCompiler, **kw: Any) -> str:
    instant, minutes = list(element.clauses)
    # The same text SQLAlchemy stores ('YYYY-MM-DD HH:MM:SS.fff'), so text order is time order.
    return (
        f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(instant, **kw)}, "
        f"'+' || {compiler.process(minutes, **kw)} || ' minutes')"
    )


@compiles(minutes_after, "postgresql")
def _postgresql(element: minutes_after, compiler: SQLCompiler, **kw: Any) -> str:
    instant, minutes = list(element.clauses)
    return (
        f"({compiler.process(instant, **kw)} + "
        f"{compiler.process(minutes, **kw)} * interval '1 minute')"
    )
