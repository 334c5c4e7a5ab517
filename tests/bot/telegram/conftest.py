"""Fixtures of the Telegram face's tests: the fake Bot API on loopback, a small clinic, and
the app pointed at both (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.fakes.telegram.server import TOKEN, FakeTelegram
from testkit.telegram_face import PUBLIC, SECRET, Client, MakeClient


@pytest.fixture
def fake(telegram: FakeTelegram) -> FakeTelegram:
    """The fake this folder's tests talk to: the one served on loopback (tests/conftest.py)."""
    return telegram


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTelegram,
    clinic_db: Database,
) -> Callable[..., Awaitable[Client]]:
    async def make(
        before_start: Callable[[web.Application], Awaitable[None]] | None = None, **overrides: Any
    ) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "telegram_bot_token": TOKEN,
            "telegram_webhook_secret": SECRET,
            "telegram_api_server": fake.base_url,
            "public_base_url": PUBLIC,
            "run_worker_in_process": False,
            **overrides,
        }
        app = create_app(load_settings(**config), clock=clock)
        if before_start is not None:
            app.on_startup.append(before_start)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()
