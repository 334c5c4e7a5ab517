"""The database handle: engines tuned per backend, and transactions that survive contention.

SQLite (the embedded default) allows one writer at a time. Write transactions
start with `BEGIN IMMEDIATE`, so a transaction never discovers half-way that it
cannot upgrade its read lock (the "database is locked" deadlock), and writers of
one process queue on an asyncio lock instead of spinning in SQLite's busy
handler. Statements run on the event loop's thread (`inline_sqlite`); a lock
held by another process is waited out between retries, never inside SQLite.
PostgreSQL runs writers in parallel; a deadlock or serialization failure there
reruns the whole transaction. Callers only ever see domain errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from core.db.inline_sqlite import INLINE_BUSY_TIMEOUT_MS, inline_creator

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL SQLSTATEs after which rerunning the transaction is the cure.
_PG_RETRYABLE = {"40001", "40P01", "55P03"}
_WRITE_OPTION = "frontdesk_write"
SQLITE_LOCK_WAIT_SECONDS = 30.0
# A pooled PostgreSQL connection idle for longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "frontdesk_idle_since"


def _is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _PG_RETRYABLE:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(orig)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver would issue a deferred one).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            # 32 MiB of pages per connection (the default is 2 MiB): reads stay in the
            # process instead of waiting on the disk while the event loop waits too.
            "cache_size=-32768",
            "foreign_keys=ON",
            f"busy_timeout={INLINE_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle for `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and its asyncpg ping is three
    round trips (BEGIN, `;`, ROLLBACK); a chat's turn checks a connection out 2-6 times,
    and py-spy found the pings in a tenth of the request-handling samples of a process
    booking 40 chats (docs/webhook-latency.md). A connection that sat idle (where a
    restarted server or a dropping firewall leaves dead ones) is still pinged, and a dead
    one is replaced before the caller sees it.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or back in the pool only moments ago
        try:
            dbapi_connection.ping()
        except Exception as error:  # the pool discards it and connects afresh
            raise DisconnectionError("a pooled connection is gone") from error


def create_engine(
    url: str, *, pool_size: int = 10, ping_after_idle: float = PING_AFTER_IDLE_SECONDS
) -> AsyncEngine:
    """An async engine for a `sqlite+aiosqlite` or `postgresql+asyncpg` URL.

    Parameters are hidden from error messages: they may hold patient data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            hide_parameters=True,
            pool_size=pool_size,
            async_creator=inline_creator(parsed.database or ":memory:"),
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        # asyncpg prepares every statement, and after five runs PostgreSQL may switch to
        # a generic plan blind to the values. For the work queues (due rows of a table
        # that fills and drains) that plan can be orders of magnitude slower.
        # No JIT: the slot search's walk stops at its LIMIT after a few rows, but its
        # estimate passes jit_above_cost over a long history, and compiling took
        # 55 ms of a 67-ms read (1M past bookings).
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan", "jit": "off"}},
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


def insert_or_skip(session: AsyncSession, model: type[Any], *unique: str) -> Any:
    """`INSERT ... ON CONFLICT (unique) DO NOTHING` for the session's backend.

    The atomic way to create what must exist at most once; add `.values()` and
    `.returning()` to learn which rows went in.
    """
    return insert_or_skip_on(session.get_bind().dialect.name, model, *unique)


def insert_or_skip_on(dialect: str, model: Any, *unique: str) -> Any:
    """`insert_or_skip` for a backend by name, to build a statement once per backend."""
    backend = postgresql if dialect == "postgresql" else sqlite
    return backend.insert(model).on_conflict_do_nothing(index_elements=list(unique))


class Database:
    """Read and write transactions over one engine; the unit of work of every service."""

    def __init__(self, engine: AsyncEngine, *, attempts: int = 8) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._attempts = attempts
        self._writer: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10) -> Database:
        return cls(create_engine(url, pool_size=pool_size))

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot; on SQLite it never waits for writers (WAL)."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @asynccontextmanager
    async def _write_session(self) -> AsyncIterator[AsyncSession]:
        gate: AbstractAsyncContextManager[Any] = self._writer or nullcontext()
        async with gate, self.engine.connect() as conn:
            conn = await conn.execution_options(**{_WRITE_OPTION: True})
            async with AsyncSession(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one write transaction, rerun whole if the database asks for it.

        A domain error raised by `work` rolls the transaction back and propagates.
        """
        # SQLite: another process's write lock is waited out here, asynchronously, for as long
        # as SQLite's own busy handler used to block; PostgreSQL: a few reruns suffice.
        stop = stop_after_delay(SQLITE_LOCK_WAIT_SECONDS) if self.is_sqlite else None
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_transient),
            stop=stop or stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.01, max=0.5),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self._write_session() as session:
                    return await work(session)
        raise AssertionError("unreachable: tenacity re-raises the last error")
