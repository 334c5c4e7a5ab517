"""Fixtures: a fresh database per test on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL; each run creates its own databases from the migrations and drops them; the
fake Bot API and fake Twilio on loopback, for the tests of more than one folder; the local
Redis (TEST_REDIS_URL, database 15 by default) for the limits shared by processes; and, in
every test, Docplanner's published contract held to every fake Docplanner; and in the
tests of the journeys and hostile inputs (`LOG_WATCHED`), every log line, DEBUG and up,
held to what must never be logged."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpServer
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

import core.models  # noqa: F401
from core.clock import FrozenClock
from core.db.database import Database, create_engine
from migrations.apply import upgrade
from testkit.fakes.docplanner.wire import watch
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import FakeTwilio
from testkit.log_scan import watching
from tests.partners.contract.openapi import ContractWatch

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# A Tuesday morning in Warsaw's winter time.
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def _pg_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


async def _pg_execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this run's own on the PostgreSQL of TEST_DATABASE_URL, migrated."""
    admin = _pg_admin_url()
    if admin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"frontdesk_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        asyncio.run(
            _pg_execute(
                admin,
                f'CREATE DATABASE "{name}"',
                # A test database need not wait for the disk at every commit.
                f'ALTER DATABASE "{name}" SET synchronous_commit = off',
            )
        )
    except (OSError, SQLAlchemyError) as exc:  # unreachable server: fail, never skip
        pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "frontdesk.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    asyncio.run(_pg_execute(url, f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def telegram(aiohttp_server: AiohttpServer) -> FakeTelegram:
    fake = FakeTelegram()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def twilio(aiohttp_server: AiohttpServer) -> FakeTwilio:
    fake = FakeTwilio()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    return fake


@pytest.fixture(autouse=True)
def docplanner_contract() -> Iterator[ContractWatch]:
    """Every request a test sends to a fake Docplanner, every answer and notification it
    gives, held to Docplanner's published document: a violation fails the test at its end
    (a test that breaks the contract on purpose asserts on `.violations` and clears them)."""
    with watch(ContractWatch()) as found:
        yield found
    if found.violations:
        pytest.fail(found.report(), pytrace=False)


LOG_WATCHED = (
    "tests/journeys/",
    "tests/bot/telegram/test_webhook.py",
    "tests/bot/whatsapp/test_webhook.py",
    "tests/bot/webchat/test_webchat.py",
    "tests/ivr/test_routes.py",
    "tests/ivr/test_booking.py",
    "tests/frontdesk/staff/api/test_bookings.py",
    "tests/frontdesk/staff/api/test_patients.py",
    "tests/frontdesk/staff/test_auth.py",
    "tests/frontdesk/staff/api/test_documents.py",
    "tests/frontdesk/public/test_documents.py",
    "tests/bot/flows/test_documents.py",
    "tests/frontdesk/test_logs.py::test_a_refused_request_is_logged_without_what_it_carried",
)


@pytest.fixture(autouse=True)
def no_secret_in_any_log_line(request: pytest.FixtureRequest) -> Iterator[None]:
    """The journeys and hostile inputs run with every logger at DEBUG, and a line that
    carries a PESEL, phone, name, token, cookie or document fails the test."""
    if not request.node.nodeid.startswith(LOG_WATCHED):
        yield
        return
    with watching() as watch:
        yield
    if watch.found:
        pytest.fail(f"log lines leak: {watch.found[:20]}", pytrace=False)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The local Redis; each test names its own keys (never depend on leftovers)."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError):
        await client.aclose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable")
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    await client.aclose()
