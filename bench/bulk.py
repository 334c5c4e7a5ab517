"""Loading generated rows straight through the drivers: stdlib sqlite3, or asyncpg COPY.

The engine's own write path is far too slow for millions of history rows, and
the benchmark only needs rows that look exactly as the engine writes them.
Rows carry instants already converted by the loader's `instant`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

Row = tuple[Any, ...]


class BulkLoader(ABC):
    """Appends rows to tables of a migrated database, outside the engine."""

    @abstractmethod
    def instant(self, value: datetime) -> Any:
        """A UTC instant as this backend's driver takes it for a `UTCDateTime` column."""

    @abstractmethod
    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Append `rows` (values in `columns` order) to `table`."""

    @abstractmethod
    async def close(self) -> None:
        """Commit, refresh planner statistics where the backend expects it, disconnect."""


class SQLiteLoader(BulkLoader):
    """One stdlib connection and one transaction; instants in SQLAlchemy's text format."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A load, not a measurement: no WAL copy of every page, a cache that holds the indexes.
        self._conn.execute("PRAGMA journal_mode=MEMORY")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA cache_size=-2000000")
        self._conn.execute("BEGIN")
        self._text: dict[datetime, str] = {}

    def instant(self, value: datetime) -> str:
        text = self._text.get(value)
        if text is None:
            # The format SQLAlchemy's SQLite DATETIME stores (checked by `check_format`).
            text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            self._text[value] = text
        return text

    def _insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        marks = ", ".join("?" for _ in columns)
        self._conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        await asyncio.to_thread(self._insert, table, columns, rows)

    def check_format(self, table: str, column: str, row_id: int, expected: datetime) -> None:
        """Fail loudly if the engine stored `expected` differently from this loader."""
        stored = self._conn.execute(
            f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)
        ).fetchone()
        if stored is None or stored[0] != self.instant(expected):
            raise RuntimeError(f"SQLite instant format mismatch: {stored!r}")

    async def close(self) -> None:
        def finish() -> None:
            self._conn.execute("COMMIT")
            self._conn.execute("PRAGMA journal_mode=WAL")  # as the engine runs it
            self._conn.close()

        await asyncio.to_thread(finish)


def asyncpg_dsn(url: str) -> str:
    """A plain libpq DSN for asyncpg from a `postgresql+asyncpg://` SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresLoader(BulkLoader):
    """COPY through asyncpg; foreign-key triggers off while loading (rows are valid by
    construction), sequences advanced and statistics refreshed at the end."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._tables: set[str] = set()

    @classmethod
    async def connect(cls, url: str) -> PostgresLoader:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        # Not a superuser: foreign keys stay checked, and the load is just slower.
        with contextlib.suppress(asyncpg.PostgresError):
            await conn.execute("SET session_replication_role = replica")
        return cls(conn)

    def instant(self, value: datetime) -> datetime:
        return value

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if rows:
            await self._conn.copy_records_to_table(table, records=rows, columns=list(columns))
            self._tables.add(table)

    async def close(self) -> None:
        for table in sorted(self._tables):
            await self._conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        # What autovacuum does soon after: statistics for every table, the small ones too.
        await self._conn.execute("VACUUM ANALYZE")
        # And what the server's next checkpoint does: write the loaded pages out, so that
        # writing back a gigabyte of load does not fall inside the timed searches.
        with contextlib.suppress(asyncpg.PostgresError):  # CHECKPOINT needs a superuser
            await self._conn.execute("CHECKPOINT")
        await self._conn.close()
