"""The Telegram client's life in the app (bot/telegram/lifecycle.py): the webhook registered
at start with its secret, and a refused registration not stopping the app."""

from __future__ import annotations

import pytest

from testkit.fakes.telegram.server import FakeTelegram
from testkit.telegram_face import PUBLIC, SECRET, WEBHOOK, Client, MakeClient, our_logs


async def test_the_webhook_is_registered_at_start_with_the_secret(
    client: Client, fake: FakeTelegram
) -> None:
    assert fake.calls_of("setWebhook") == [
        {
            "url": PUBLIC + WEBHOOK,
            "secret_token": SECRET,
            "allowed_updates": ["message", "callback_query"],
            "max_connections": 40,
        }
    ]


async def test_a_refused_webhook_registration_does_not_stop_the_app(
    make_client: MakeClient, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")

    client = await make_client()

    assert (await client.get("/healthz")).status == 200
    assert "setWebhook failed" in our_logs(caplog)
