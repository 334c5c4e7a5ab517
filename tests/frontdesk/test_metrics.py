"""GET /metrics through real HTTP, on SQLite and PostgreSQL: off until configured, a token
or an allowed network to scrape, the webhook latency by channel and step, the search
latency and the database's figures, and nothing a patient typed."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import Settings

Client = TestClient[web.Request, web.Application]
TOKEN = "scrape-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SESSION = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


@pytest.fixture
def make(aiohttp_client: AiohttpClient, seeded: Database, database_url: str, clock: FrozenClock):
    async def make(**settings: Any) -> Client:
        values: dict[str, Any] = {
            "database_url": database_url,
            "demo": True,
            "run_worker_in_process": False,
        }
        return await aiohttp_client(create_app(Settings(**(values | settings)), clock=clock))

    return make


async def test_metrics_are_off_until_configured(make) -> None:
    client = await make()
    assert (await client.get("/metrics", headers=BEARER)).status == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}],
    ids=["none", "wrong", "no-scheme"],
)
async def test_a_scrape_without_the_token_is_refused(make, headers: dict[str, str]) -> None:
    client = await make(metrics_token=TOKEN)
    response = await client.get("/metrics", headers=headers)
    assert response.status == 401
    assert "frontdesk_" not in await response.text()


async def test_an_allowed_network_scrapes_without_a_token(make) -> None:
    allowed = await make(metrics_sources="127.0.0.0/8")
    elsewhere = await make(metrics_sources="10.0.0.0/8")
    assert (await allowed.get("/metrics")).status == 200
    assert (await elsewhere.get("/metrics")).status == 401


async def test_latencies_and_figures_without_what_patients_typed(make) -> None:
    client = await make(metrics_token=TOKEN)
    for text in ("hi", "Jan Kowalski 44051401359 +48601234567"):
        sent = await client.post("/demo/chat/send", json={"session": SESSION, "text": text})
        assert sent.status == 200
    assert (await client.get("/api/v1/slots", params={"service": "INT-CONS"})).status == 200

    response = await client.get("/metrics", headers=BEARER)
    page = await response.text()

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'frontdesk_webhook_seconds_count{channel="webchat",step="menu"}' in page
    assert 'frontdesk_search_seconds_count{kind="find"} 1.0' in page
    assert 'frontdesk_bookings_total{channel="telegram"}' in page  # the demo's own bookings
    assert "frontdesk_notifications_due 0.0" in page
    assert "frontdesk_callbacks_waiting 0.0" in page
    for typed in ("Kowalski", "44051401359", "601234567"):
        assert typed not in page
