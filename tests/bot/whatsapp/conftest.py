"""Fixtures of the WhatsApp face's tests: the fake Twilio on loopback, a small clinic, and the
app pointed at both with its dialog recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from bot.dialog import Dialog
from bot.keys import DIALOG
from core.clock import FrozenClock
from core.db.database import Database
from edge.twilio_rest import RetryPolicy
from frontdesk.app import create_app
from frontdesk.keys import TWILIO_RETRY
from frontdesk.settings import load_settings
from testkit.chat import Recording
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from testkit.whatsapp_face import PUBLIC, Client, MakeClient, Sleeps


@pytest.fixture
def fake(twilio: FakeTwilio) -> FakeTwilio:
    """The fake this folder's tests talk to: the one served on loopback (tests/conftest.py)."""
    return twilio


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTwilio,
    clinic_db: Database,
    sleeps: Sleeps,
) -> MakeClient:
    async def make(wrap: type[Recording] | None = Recording, **overrides: Any) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_from": SENDER,
            "twilio_api_base": fake.base_url,
            "run_worker_in_process": False,
            **overrides,
        }
        app = create_app(load_settings(**config), clock=clock)
        app[TWILIO_RETRY] = RetryPolicy(sleep=sleeps)

        async def wrap_dialog(app: web.Application) -> None:
            if wrap is not None:
                app[DIALOG] = cast(Dialog, wrap(app[DIALOG]))

        app.on_startup.append(wrap_dialog)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()
