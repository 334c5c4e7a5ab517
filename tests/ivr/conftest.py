"""Fixtures of the phone menu's tests: the fake Twilio on loopback, a small clinic over two
weeks, and the app with Twilio's settings pointed at the fake (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.factories import SmallClinic, small_clinic
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, SMS_SENDER, FakeTwilio
from testkit.ivr import Client, MakeClient
from testkit.phone import PUBLIC


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    """The fake this folder's tests talk to: the one served on loopback (tests/conftest.py)."""
    return twilio


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> SmallClinic:
    return await small_clinic(db, clock, days=14)


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTwilio,
    clinic: SmallClinic,
) -> MakeClient:
    async def make(**overrides: Any) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_from": SENDER,
            "twilio_sms_from": SMS_SENDER,
            "twilio_api_base": fake.base_url,
            "run_worker_in_process": False,
            **overrides,
        }
        return await aiohttp_client(create_app(load_settings(**config), clock=clock))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()
