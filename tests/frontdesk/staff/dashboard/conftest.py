"""Fixtures of the dashboard's tests: the two-branch desk and the app serving it
(SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.dashboard import Client
from testkit.staff_desk import Desk, desk


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> Desk:
    return await desk(db, clock)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, database_url: str, clock: FrozenClock, clinic: Desk
) -> Client:
    settings = load_settings(
        database_url=database_url,
        secret_key="dashboard-secret-key-0123456789abcdef",
        run_worker_in_process=False,
    )
    return await aiohttp_client(create_app(settings, clock=clock))
