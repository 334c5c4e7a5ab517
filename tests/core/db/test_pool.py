"""PostgreSQL's pool: a connection is pinged before use only after it sat idle, and a
dead one found so is replaced before the caller sees it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from core.db.database import Database, create_engine


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pings sent, counted on asyncpg's adapter."""
    sent: list[int] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        sent.append(1)
        ping(self)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return sent


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(create_engine(postgres_url))
    yield database
    await database.dispose()


async def _backend(db: Database) -> int:
    async with db.read() as session:
        pid: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def test_a_connection_back_in_the_pool_moments_ago_is_used_without_a_ping(
    postgres_url: str, pings: list[int]
) -> None:
    db = Database(create_engine(postgres_url, pool_size=1, ping_after_idle=0.3))
    try:
        first = await _backend(db)
        assert [await _backend(db) for _ in range(5)] == [first] * 5
        assert pings == []
        await asyncio.sleep(0.4)
        assert await _backend(db) == first
        assert len(pings) == 1
    finally:
        await db.dispose()


async def test_a_connection_that_died_while_idle_is_replaced_unseen(
    postgres_url: str, admin: Database, pings: list[int]
) -> None:
    db = Database(create_engine(postgres_url, pool_size=1, ping_after_idle=0.0))
    try:
        gone = await _backend(db)
        async with admin.read() as session:  # as a restarted server would
            kill = text("SELECT pg_terminate_backend(:p, 5000)")
            ended = await session.execute(kill, {"p": gone})
            assert ended.scalar_one() is True
        replaced = await _backend(db)
        assert replaced != gone
        assert len(pings) >= 1
    finally:
        await db.dispose()
