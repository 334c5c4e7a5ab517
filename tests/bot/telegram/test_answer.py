"""A failing dialog (bot/telegram/answer.py): the update is 500 and its delivery forgotten,
so Telegram's redelivery is answered."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram.types import Update
from aiohttp import web

from bot.dialog import Dialog
from bot.keys import DIALOG
from bot.telegram.answer import DialogFailed, answer_update
from bot.telegram.outbox import Outbox
from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.services import build_services
from frontdesk.settings import load_settings
from testkit.fakes.telegram.server import FakeTelegram
from testkit.telegram_face import MakeClient, inbound_rows, post, sends, telegram_bot


class ExplodingOnce:
    """The app's dialog, except that its first answer raises (after recording the delivery)."""

    def __init__(self, dialog: Any) -> None:
        self.dialog = dialog
        self.services = dialog.services
        self.exploded = False

    async def handle(self, incoming: Any) -> Any:
        if not self.exploded:
            self.exploded = True
            async with self.services.conversations.turn(
                incoming.channel, incoming.chat_id, incoming.delivery_id
            ):
                pass  # the delivery recorded, as a real turn records it before it fails
            raise RuntimeError("boom")
        return await self.dialog.handle(incoming)


async def test_a_failing_dialog_is_500_and_the_redelivery_is_answered(
    make_client: MakeClient, fake: FakeTelegram, clinic_db: Database
) -> None:
    async def explode_once(app: web.Application) -> None:
        app[DIALOG] = cast(Dialog, ExplodingOnce(app[DIALOG]))

    client = await make_client(before_start=explode_once)
    update = fake.text_update("Hello")

    failed = await post(client, update)
    assert failed.status == 500
    assert await inbound_rows(clinic_db) == 0  # forgotten, so Telegram's retry is handled
    assert sends(fake) == []

    retried = await post(client, update)
    assert retried.status == 200
    assert sends(fake)


async def test_answer_update_forgets_the_delivery_when_the_dialog_raises(
    fake: FakeTelegram, clinic_db: Database, clock: FrozenClock, database_url: str
) -> None:
    services = build_services(clinic_db, clock, load_settings(database_url=database_url))

    dialog = ExplodingOnce(SimpleNamespace(services=services.bot()))
    update = Update.model_validate(fake.text_update("Hello"))
    async with telegram_bot(fake) as bot:
        with pytest.raises(DialogFailed):
            await answer_update(update, dialog, Outbox(bot))  # type: ignore[arg-type]

    assert await inbound_rows(clinic_db) == 0
    assert fake.calls == []
