"""Fixtures of the journeys: a small clinic over three days and one app serving both the
Telegram and the WhatsApp webhooks against the fakes (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from edge.twilio_rest import RetryPolicy
from frontdesk.app import create_app
from frontdesk.keys import TWILIO_RETRY
from frontdesk.settings import load_settings
from testkit.factories import SmallClinic, small_clinic
from testkit.fakes.telegram.server import TOKEN, FakeTelegram
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from testkit.messengers import PUBLIC, SECRET, Client, no_sleep


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> SmallClinic:
    return await small_clinic(db, clock, days=3)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
    clinic: SmallClinic,
) -> Client:
    settings = load_settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        secret_key="journeys-secret-key-0123456789abcdef",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_server=telegram.base_url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER,
        twilio_api_base=twilio.base_url,
        run_worker_in_process=False,
    )
    app = create_app(settings, clock=clock)
    app[TWILIO_RETRY] = RetryPolicy(sleep=no_sleep)
    return await aiohttp_client(app)
