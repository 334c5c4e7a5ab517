"""Driving the app's WhatsApp face against the fake Twilio (testkit/fakes/twilio.py): forms
posted as Twilio signs them, the dialog recorded, retries' sleeps recorded instead of slept;
for the WhatsApp face's tests and Twilio's REST client's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.chat import Incoming
from bot.keys import DIALOG
from bot.whatsapp.routes import PATH
from core.db.database import Database
from core.models import InboundMessage
from testkit.chat import Recording
from testkit.fakes.twilio import sign

PUBLIC = "https://clinic.example"

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


class Sleeps:
    """Tenacity's sleep, recorded instead of slept: retries are checked, not waited for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def seen(client: Client) -> list[Incoming]:
    return cast(Recording, client.app[DIALOG]).seen


async def post(
    client: Client,
    params: dict[str, str],
    *,
    signature: str | None = "sign",
    path: str = PATH,
    **kwargs: Any,
) -> Any:
    """POST the form as Twilio does: signed over the public URL unless told otherwise."""
    headers = {}
    if signature == "sign":
        signature = sign(PUBLIC + path, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return await client.post(path, data=params, headers=headers, **kwargs)


async def inbound_rows(db: Database) -> int:
    async with db.read() as session:
        count = await session.scalar(select(func.count()).select_from(InboundMessage))
    return int(count or 0)


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
