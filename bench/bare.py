"""The floor to compare booking with: a bare driver loop, one insert and one commit a row.

SQLite runs with the engine's own durability settings (WAL, synchronous=NORMAL)
in a separate file, and once more with an fsync per commit for context;
PostgreSQL inserts into a table of the benchmark database, each statement its
own transaction (asyncpg's autocommit).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import asyncpg

from bench.bulk import asyncpg_dsn
from bench.dataset import NOW

STEP = timedelta(minutes=15)
COLUMNS = "patient_id, doctor_id, start_at, end_at, status, created_at"
TABLE = """(
    id {pk},
    patient_id INTEGER NOT NULL,
    doctor_id INTEGER NOT NULL,
    start_at {ts} NOT NULL,
    end_at {ts} NOT NULL,
    status VARCHAR(32) NOT NULL,
    created_at {ts} NOT NULL,
    UNIQUE (doctor_id, start_at)
)"""


def _sqlite_loop(path: Path, rows: int, synchronous: str) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE visit " + TABLE.format(pk="INTEGER PRIMARY KEY", ts="TEXT"))
        sql = f"INSERT INTO visit ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        stamp = "%Y-%m-%d %H:%M:%S.%f"
        now = NOW.strftime(stamp)
        values = [
            (
                n % 1000 + 1,
                n % 200 + 1,
                (NOW + STEP * n).strftime(stamp),
                (NOW + STEP * (n + 1)).strftime(stamp),
                "booked",
                now,
            )
            for n in range(rows)
        ]
        started = time.perf_counter()
        for row in values:
            conn.execute("BEGIN")
            conn.execute(sql, row)
            conn.execute("COMMIT")
        return rows / (time.perf_counter() - started)
    finally:
        conn.close()


async def bare_sqlite(scratch: Path, rows: int, synchronous: str = "NORMAL") -> float:
    """Rows per second of a stdlib sqlite3 insert-and-commit loop.

    NORMAL is the engine's setting (a WAL commit is not synced); FULL syncs every commit.
    """
    path = scratch / f"bare-{synchronous.lower()}.db"
    return await asyncio.to_thread(_sqlite_loop, path, rows, synchronous)


async def bare_postgres(url: str, rows: int) -> float:
    """Rows per second of an asyncpg insert loop, one transaction per row."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE bare_visit " + TABLE.format(pk="SERIAL PRIMARY KEY", ts="TIMESTAMPTZ")
        )
        sql = f"INSERT INTO bare_visit ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        values = [
            (n % 1000 + 1, n % 200 + 1, NOW + STEP * n, NOW + STEP * (n + 1), "booked", NOW)
            for n in range(rows)
        ]
        started = time.perf_counter()
        for row in values:
            await conn.execute(sql, *row)
        return rows / (time.perf_counter() - started)
    finally:
        await conn.execute("DROP TABLE IF EXISTS bare_visit")
        await conn.close()
