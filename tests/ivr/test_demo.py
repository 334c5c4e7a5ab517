"""The demo phone: a browser drives the very handlers a call would reach, in-process,
while the real webhooks stay dark (no Twilio account) and signed-only when configured."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Call
from core.vocab import CallOutcome
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.factories import small_clinic
from testkit.fakes.twilio import call_sid, sign, voice_call
from testkit.phone import PUBLIC

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> Client:
    await small_clinic(db, clock, days=2)
    settings = load_settings(database_url=database_url, run_worker_in_process=False, demo=True)
    return await aiohttp_client(create_app(settings, clock=clock))


async def step(client: Client, url: str, sid: str, **extra: object) -> Any:
    response = await client.post(
        "/demo/phone/step", json={"url": url, "call": sid, "from": "+48600100200", **extra}
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_page_is_served_with_a_strict_policy(client: Client) -> None:
    response = await client.get("/demo/phone")
    assert response.status == 200
    html = await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in html
    assert 'data-step-url="/demo/phone/step"' in html


async def test_the_queue_and_recording_buttons_stay_hidden_and_harmless(client: Client) -> None:
    """Their rows start `hidden`, which the rows' own `display: flex` overrode, and their
    handlers read the queue or recording of the call, which is absent outside one.
    (Without a browser here, the page's source is what can be checked.)"""
    html = await (await client.get("/demo/phone")).text()
    assert '<div class="row" id="queue" hidden>' in html
    assert '<div class="row" id="recording" hidden>' in html
    assert "[hidden] { display: none !important; }" in html
    assert 'el("wait").addEventListener("click", function () { if (call.enqueue)' in html
    assert 'el("answered").addEventListener("click", function () { if (call.enqueue)' in html
    assert "if (!call.record) { return; }" in html


async def test_a_demo_call_runs_the_same_flow_and_is_recorded(client: Client, db: Database) -> None:
    sid = call_sid()
    answer = await step(client, "/twilio/voice", sid)
    verbs = [v["verb"] for v in answer["verbs"]]
    assert verbs[-2:] == ["Gather", "Redirect"]
    gather = answer["verbs"][-2]
    assert "Przychodnia Testowa" in gather["say"][0]
    answer = await step(client, gather["action"], sid, digits="4")  # opening hours
    said = " ".join(" ".join(v.get("say", [])) for v in answer["verbs"])
    assert "wtorek: od 08:00 do 18:00" in said
    await step(
        client,
        "/twilio/voice/status",
        sid,
        fields={"CallStatus": "completed", "CallDuration": "30"},
    )
    async with db.read() as session:
        (call,) = (await session.execute(select(Call))).scalars()
    assert call.outcome is CallOutcome.INFORMED
    assert call.duration_seconds == 30


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "/admin", "call": "CA1", "from": "+48600100200"}, "url"),
        ({"url": "/twilio/voice", "call": "CA1", "from": "<script>"}, "from"),
        ({"url": "/twilio/voice", "call": "no sid!", "from": "+48600100200"}, "CallSid"),
        (
            {"url": "/twilio/voice", "call": "CA1", "from": "+48600100200", "digits": "1; drop"},
            "Digits",
        ),
        ([1, 2], "body"),
    ],
)
async def test_a_bad_demo_step_is_refused(client: Client, body: object, field: str) -> None:
    response = await client.post("/demo/phone/step", json=body)
    assert response.status == 400
    assert (await response.json())["error"]["field"] == field


async def test_the_real_webhooks_stay_dark_without_twilio(client: Client) -> None:
    form = voice_call(call_sid())
    signature = sign(PUBLIC + "/twilio/voice", form)
    response = await client.post(
        "/twilio/voice", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status == 404
