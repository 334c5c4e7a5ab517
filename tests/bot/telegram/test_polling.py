"""Long polling (bot/telegram/polling.py) against the fake Bot API: updates answered and
confirmed, button presses acknowledged, a webhook left alone, a failing update skipped."""

from __future__ import annotations

from aiogram.types import Update

from bot.telegram.polling import MAX_ATTEMPTS, Poller
from core.db.database import Database
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import MakeClient, inbound_rows, sends, telegram_bot


async def test_without_a_public_url_updates_are_long_polled(
    make_client: MakeClient, fake: FakeTelegram, clinic_db: Database
) -> None:
    update = fake.text_update("Hello")
    fake.queue(update)

    await make_client(public_base_url=None)
    await fake.wait_for("sendMessage")
    polls = await fake.wait_for("getUpdates", count=2)

    assert fake.calls_of("setWebhook") == []
    assert {r["chat_id"] for r in sends(fake)} == {PATIENT_ID}
    assert polls[1].params["offset"] == update["update_id"] + 1  # confirmed once answered
    assert fake.updates == []
    assert await inbound_rows(clinic_db) == 1


async def test_polled_button_presses_are_acknowledged(
    make_client: MakeClient, fake: FakeTelegram
) -> None:
    await make_client(public_base_url=None)
    await fake.wait_for("getUpdates")

    fake.queue(fake.callback_update("m:book"))
    await fake.wait_for("editMessageReplyMarkup")

    assert len(fake.calls_of("answerCallbackQuery")) == 1


async def test_polling_waits_while_a_webhook_is_set_and_never_deletes_it(
    make_client: MakeClient, fake: FakeTelegram
) -> None:
    fake.webhook = {"url": "https://elsewhere.example/hook"}

    await make_client(public_base_url=None)
    await fake.wait_for("getUpdates")

    assert [c.status for c in fake.calls] == [409]
    assert fake.webhook is not None


async def test_polling_retries_a_failing_update_then_skips_it(fake: FakeTelegram) -> None:
    tried: list[int] = []

    async def failing(update: Update) -> None:
        tried.append(update.update_id)
        raise RuntimeError("the dialog is down")

    async def no_wait(seconds: float) -> None:
        pass

    poison = fake.text_update("Hello")
    fake.queue(poison)
    async with telegram_bot(fake) as bot:
        poller = Poller(bot, failing, sleep=no_wait)
        poller.start()
        polls = await fake.wait_for("getUpdates", count=MAX_ATTEMPTS + 1)
        await poller.stop()

    assert tried == [poison["update_id"]] * MAX_ATTEMPTS
    assert [p.params.get("offset") for p in polls] == [None] * MAX_ATTEMPTS + [
        poison["update_id"] + 1
    ]
    assert fake.updates == []
