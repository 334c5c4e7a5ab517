"""Patients on Telegram and on WhatsApp, driving the app's webhooks as the platforms do
(updates to the webhook, Twilio-signed forms) and reading the answers off the fakes; and
the bookings the database holds afterwards. For the journeys and the dashboard's browser
tests."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from bot.telegram.keys import SENDS
from bot.telegram.routes import SECRET_HEADER
from bot.whatsapp.routes import PATH as WHATSAPP
from core.db.database import Database
from core.models import Booking
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import FakeTwilio, inbound_whatsapp, sign

PUBLIC = "https://clinic.example"
SECRET = "journeys-webhook-secret"

Client = TestClient[web.Request, web.Application]


async def no_sleep(seconds: float) -> None:
    """Twilio's Retry-After is not waited for in these tests."""


class TelegramChat:
    """A Telegram user: updates to the webhook, answers read off the fake Bot API."""

    def __init__(self, client: Client, fake: FakeTelegram, user_id: int, language: str) -> None:
        self.client, self.fake, self.user_id, self.language = client, fake, user_id, language
        self.seen: list[dict[str, Any]] = []
        self.actions = 0  # what the patient did: each message, shared contact or press

    async def _post(self, update: dict[str, Any]) -> None:
        self.actions += 1
        before = len(self.fake.calls)
        response = await self.client.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
        )
        assert response.status == 200, await response.text()
        await self.client.app[SENDS].drain()
        self.seen = [
            c.params
            for c in self.fake.calls[before:]
            if c.method == "sendMessage" and c.status == 200 and c.params["chat_id"] == self.user_id
        ]

    async def send(self, text: str) -> None:
        await self._post(
            self.fake.text_update(text, user_id=self.user_id, language_code=self.language)
        )

    async def share_phone(self, phone: str) -> None:
        await self._post(
            self.fake.contact_update(
                phone, user_id=self.user_id, contact_user_id=self.user_id, language_code=None
            )
        )

    async def press(self, label: str = "", action: str = "") -> None:
        """Press the first inline button whose label holds `label` and whose action starts
        with `action`, among the last messages."""
        await self.tap(self.button(label, action))

    async def tap(self, data: str) -> None:
        await self._post(
            self.fake.callback_update(data, user_id=self.user_id, language_code=self.language)
        )

    def button(self, label: str = "", action: str = "") -> str:
        for message in reversed(self.seen):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    data = button["callback_data"]
                    if label in button["text"] and data.split("|", 1)[-1].startswith(action):
                        return str(data)
        raise AssertionError(f"no button {label!r}/{action!r} in {self.text}")

    def labels(self) -> str:
        return " ".join(
            button["text"]
            for message in self.seen
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        )

    @property
    def text(self) -> str:
        return "\n".join(message["text"] for message in self.seen)


class WhatsAppChat:
    """A WhatsApp user: Twilio-signed forms to the webhook, answers read off the fake Twilio."""

    def __init__(self, client: Client, fake: FakeTwilio, number: str) -> None:
        self.client, self.fake, self.number = client, fake, number
        self.text = ""

    async def send(self, body: str) -> None:
        before = len(self.fake.sent_to(self.number))
        form = inbound_whatsapp(body, number=self.number)
        response = await self.client.post(
            WHATSAPP, data=form, headers={"X-Twilio-Signature": sign(PUBLIC + WHATSAPP, form)}
        )
        assert response.status == 200, await response.text()
        self.text = "\n\n".join(self.fake.sent_to(self.number)[before:])

    async def press(self, label: str) -> None:
        """Type the number of the first option whose label holds `label`."""
        for number, option in re.findall(r"^(\d+)\. (.*)$", self.text, re.MULTILINE):
            if label in option:
                await self.send(number)
                return
        raise AssertionError(f"no option {label!r} in {self.text}")


async def bookings(db: Database) -> list[Booking]:
    async with db.read() as session:
        return list((await session.execute(select(Booking).order_by(col(Booking.id)))).scalars())


async def book_on_wednesday(chat: TelegramChat | WhatsAppChat) -> None:
    """A new patient, in English, books Wednesday's first visit."""
    if isinstance(chat, TelegramChat):
        await chat.send("/start")
    else:
        await chat.send("hi")
        await chat.press("English")
    for step in ("Book", "Konsultacja", "Wednesday, 2 December", "08:00"):
        await chat.press(step)
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    if isinstance(chat, TelegramChat):
        await chat.share_phone("48501234567")
    await chat.press("Confirm")
