"""Fresh, migrated databases of the benchmark's own, removed afterwards.

SQLite: a file in a temporary directory. PostgreSQL: a `frontdesk_bench_<random>`
database created on the server of `BENCH_DATABASE_URL` and dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.bulk import BulkLoader, PostgresLoader, SQLiteLoader, asyncpg_dsn
from migrations.apply import upgrade_async

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL


@dataclass(frozen=True)
class Target:
    """One benchmark database: its engine URL and a scratch directory."""

    backend: str  # "sqlite" or "postgres"
    url: str
    scratch: Path
    sqlite_path: Path | None = None

    async def loader(self) -> BulkLoader:
        if self.sqlite_path is not None:
            return SQLiteLoader(str(self.sqlite_path))
        return await PostgresLoader.connect(self.url)

    async def server_version(self) -> str:
        if self.sqlite_path is not None:
            return sqlite3.sqlite_version
        conn = await asyncpg.connect(asyncpg_dsn(self.url))
        try:
            version: str = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
        return version


@asynccontextmanager
async def provision(backend: str) -> AsyncIterator[Target]:
    """A migrated, empty database for `backend`, dropped on exit whatever happens."""
    scratch = Path(tempfile.mkdtemp(prefix="frontdesk_bench_"))
    try:
        if backend == "sqlite":
            path = scratch / "bench.db"
            url = f"sqlite+aiosqlite:///{path}"
            await upgrade_async(url)
            yield Target(backend, url, scratch, path)
        else:
            async with _postgres_database() as url:
                await upgrade_async(url)
                yield Target(backend, url, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    admin = admin_url()
    name = f"frontdesk_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(asyncpg_dsn(admin))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(asyncpg_dsn(admin))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
