"""Send failures never fail the update (bot/telegram/outbox.py): a blocked bot, Telegram's
errors logged without personal data, and a 429's Retry-After waited out only when short."""

from __future__ import annotations

import logging

import pytest
from aiogram.methods import SendMessage

from bot.telegram.outbox import Outbox, Sent
from core.db.database import Database
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import Client, inbound_rows, our_logs, post, telegram_bot, traffic


async def test_a_patient_who_blocked_the_bot_still_gets_200(
    client: Client, fake: FakeTelegram, clinic_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    fake.blocked.add(PATIENT_ID)
    caplog.set_level(logging.DEBUG, logger="bot")

    response = await post(client, fake.text_update("Mój numer to +48 501 234 567"))

    assert response.status == 200
    assert [c.status for c in traffic(fake)] == [403]  # nothing more was tried for that chat
    assert await inbound_rows(clinic_db) == 1  # handled: a redelivery would be skipped
    logged = our_logs(caplog)
    assert "blocked" in logged
    assert "501" not in logged
    assert str(PATIENT_ID) not in logged


async def test_other_send_failures_are_logged_and_the_update_is_200(
    client: Client, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    failures = [
        (400, "Bad Request: chat not found", None),
        (500, "Internal Server Error", None),
        (429, "Too Many Requests: retry after 30", {"retry_after": 30}),
    ]
    for n, (status, description, parameters) in enumerate(failures):
        fake.calls.clear()
        fake.fail_next("sendMessage", status, description, parameters)

        response = await post(client, fake.text_update("Hello", user_id=PATIENT_ID + n))

        assert response.status == 200
        assert traffic(fake)[0].status == status
    logged = our_logs(caplog)
    assert logged.count("telegram sendMessage") == 3
    assert str(PATIENT_ID) not in logged


async def test_the_retry_after_of_a_429_is_waited_out_once(fake: FakeTelegram) -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", {"retry_after": 2})
    async with telegram_bot(fake) as bot:
        sent = await Outbox(bot, sleep=sleep).call(SendMessage(chat_id=PATIENT_ID, text="Hi"))

    assert sent is Sent.OK
    assert waited == [2]
    assert [c.status for c in fake.calls] == [429, 200]


async def test_a_long_retry_after_is_not_waited_for(fake: FakeTelegram) -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 60", {"retry_after": 60})
    async with telegram_bot(fake) as bot:
        sent = await Outbox(bot, sleep=sleep).call(SendMessage(chat_id=PATIENT_ID, text="Hi"))

    assert sent is Sent.FAILED
    assert waited == []
    assert [c.status for c in fake.calls] == [429]
