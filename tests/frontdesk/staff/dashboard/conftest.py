"""Fixtures of the dashboard's tests: the two-branch desk and the app serving it
(SQLite and PostgreSQL); for the browser tests, the app on loopback with the fake
Telegram and Twilio's credentials, Debian's Chromium and a page in it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page
from pytest_aiohttp import AiohttpClient, AiohttpServer

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.browser import chromium
from testkit.dashboard import Client
from testkit.fakes.telegram.server import TOKEN, FakeTelegram
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from testkit.messengers import PUBLIC, SECRET
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


@pytest.fixture
async def server(
    aiohttp_server: AiohttpServer,
    database_url: str,
    clock: FrozenClock,
    telegram: FakeTelegram,
    clinic: Desk,
) -> TestServer:
    settings = load_settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        secret_key="browser-secret-key-0123456789abcdef",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_server=telegram.base_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        run_worker_in_process=False,
    )
    return await aiohttp_server(create_app(settings, clock=clock))


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser, server: TestServer) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=str(server.make_url("")).rstrip("/"),
        locale="en-GB",
        viewport={"width": 1024, "height": 768},  # a tablet held sideways
    )
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()
