"""Driving the app's Telegram face against the fake Bot API (testkit/fakes/telegram/):
posting to the webhook as Telegram does, a Bot pointed at the fake, and what reached the
patient; for the Telegram face's tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.telegram.keys import SENDS
from bot.telegram.lifecycle import Session
from bot.telegram.routes import SECRET_HEADER
from core.db.database import Database
from core.models import InboundMessage
from testkit.fakes.telegram.server import TOKEN, Call, FakeTelegram

SECRET = "webhook-Secret_0123456789"
PUBLIC = "https://clinic.example"
WEBHOOK = "/telegram/webhook"

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


class telegram_bot:  # used as `async with telegram_bot(fake) as bot`
    """A Bot pointed at the fake, closed on exit."""

    def __init__(self, fake: FakeTelegram, token: str = TOKEN) -> None:
        api = TelegramAPIServer.from_base(fake.base_url)
        self.bot = Bot(token, session=Session(api=api))

    async def __aenter__(self) -> Bot:
        return self.bot

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.session.close()


async def post(client: Client, update: Any, secret: str | None = SECRET, **kwargs: Any) -> Any:
    """POST to the webhook as Telegram does, then wait for the sends it queued."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(update, bytes):
        response = await client.post(WEBHOOK, data=update, headers=headers, **kwargs)
    else:
        response = await client.post(WEBHOOK, json=update, headers=headers, **kwargs)
    if SENDS in client.app:
        await client.app[SENDS].drain()
    return response


async def inbound_rows(db: Database) -> int:
    async with db.read() as session:
        return (
            await session.execute(select(func.count()).select_from(InboundMessage))
        ).scalar_one()


def sends(fake: FakeTelegram) -> list[dict[str, Any]]:
    """What reached the patient: sendMessage calls the fake accepted."""
    return [c.params for c in fake.calls if c.method == "sendMessage" and c.status == 200]


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the Telegram face logged: never a text, a phone, a chat id or the token."""
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.telegram"))
    assert TOKEN not in text
    assert SECRET not in text
    return text


def traffic(fake: FakeTelegram) -> list[Call]:
    """The calls after the app's start (which registers the webhook)."""
    return [c for c in fake.calls if c.method != "setWebhook"]
