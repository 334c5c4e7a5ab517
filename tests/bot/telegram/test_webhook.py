"""The Telegram webhook through real HTTP against the fake Bot API, on SQLite and PostgreSQL:
replies in the chat, redeliveries, buttons, updates ignored, and the gate (secret, JSON,
update, size, configuration)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from bot.telegram.keys import SENDS
from bot.telegram.routes import SECRET_HEADER
from core.db.database import Database
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import (
    SECRET,
    WEBHOOK,
    Client,
    MakeClient,
    inbound_rows,
    post,
    sends,
    traffic,
)

# -- the webhook, happy paths --------------------------------------------------------------


async def test_a_text_message_gets_a_reply_in_its_chat(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    response = await post(client, fake.text_update("Dzień dobry"))

    assert response.status == 200
    replies = sends(fake)
    assert replies, "the patient got no reply"
    assert {r["chat_id"] for r in replies} == {PATIENT_ID}
    assert all("parse_mode" not in r for r in replies)  # plain text, never parsed as markup
    assert await inbound_rows(clinic_db) == 1


async def test_a_deep_link_start_gets_a_reply(client: Client, fake: FakeTelegram) -> None:
    response = await post(client, fake.start_update("link-AB12cd"))

    assert response.status == 200
    assert sends(fake)


async def test_emoji_rtl_and_markup_characters_go_through(
    client: Client, fake: FakeTelegram
) -> None:
    texts = [
        "مرحبا، أريد حجز موعد 👋🏽",
        "שלום! 🇮🇱 אני רוצה תור",
        "👨‍👩‍👧‍👦" * 50,
        "\u202eevil\u202c <b>&amp;</b> *x* _y_",
    ]
    for text in texts:
        response = await post(client, fake.text_update(text))
        assert response.status == 200

    assert len({r["chat_id"] for r in sends(fake)}) == 1
    assert all(c.status == 200 for c in traffic(fake))


async def test_the_webhook_answers_before_the_replies_are_sent(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    fake.gate = asyncio.Event()  # Telegram is slow to take our calls

    response = await client.post(
        WEBHOOK, json=fake.text_update("Dzień dobry"), headers={SECRET_HEADER: SECRET}
    )

    assert response.status == 200
    assert await inbound_rows(clinic_db) == 1  # the turn is committed before the answer
    assert sends(fake) == []
    fake.gate.set()
    await client.app[SENDS].drain()
    assert sends(fake)


async def test_the_same_update_twice_is_answered_once(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    update = fake.text_update("Hello")

    first = await post(client, update)
    answered = len(sends(fake))
    second = await post(client, update)

    assert (first.status, second.status) == (200, 200)
    assert answered >= 1
    assert len(sends(fake)) == answered
    assert await inbound_rows(clinic_db) == 1


async def test_a_pressed_button_is_acknowledged_and_its_keyboard_removed(
    client: Client, fake: FakeTelegram
) -> None:
    update = fake.callback_update("m:book")
    query = update["callback_query"]

    response = await post(client, update)

    assert response.status == 200
    assert fake.calls_of("answerCallbackQuery") == [{"callback_query_id": query["id"]}]
    assert fake.calls_of("editMessageReplyMarkup") == [
        {"chat_id": PATIENT_ID, "message_id": query["message"]["message_id"]}
    ]
    assert fake.messages[(PATIENT_ID, query["message"]["message_id"])].get("reply_markup") is None
    assert sends(fake)


async def test_a_redelivered_button_press_still_stops_the_spinner(
    client: Client, fake: FakeTelegram
) -> None:
    update = fake.callback_update("m:book")
    await post(client, update)
    answered = len(sends(fake))

    response = await post(client, update)

    assert response.status == 200
    assert len(fake.calls_of("answerCallbackQuery")) == 2  # the second one Telegram refuses: fine
    assert len(sends(fake)) == answered


async def test_updates_we_did_not_ask_for_are_ignored(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    edited = fake.text_update("edited")
    edited["edited_message"] = edited.pop("message")

    for update in (edited, {"update_id": 1}):
        response = await post(client, update)
        assert response.status == 200

    assert traffic(fake) == []
    assert await inbound_rows(clinic_db) == 0


async def test_group_chats_are_not_answered(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    group = {"id": -100123, "type": "supergroup", "title": "Family"}

    response = await post(client, fake.text_update("my PESEL is ...", chat=group))

    assert response.status == 200
    assert traffic(fake) == []
    assert await inbound_rows(clinic_db) == 0


# -- the webhook's gate --------------------------------------------------------------------------


async def test_a_wrong_or_missing_secret_is_401_and_touches_nothing(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    for secret in [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper(), "ü" * 10]:
        response = await post(client, fake.text_update("Hello"), secret=secret)
        assert response.status == 401, secret
        assert (await response.json())["error"]["code"] == "unauthorized"

    assert traffic(fake) == []
    assert await inbound_rows(clinic_db) == 0


async def test_a_body_that_is_not_json_is_400(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    for body in [b"{", b"", b"\xff\xfe\x00", b"not json", b"[" * 50_000]:
        response = await post(client, body)
        assert response.status == 400, body[:10]
        assert (await response.json())["error"]["code"] == "invalid_json"

    assert traffic(fake) == []
    assert await inbound_rows(clinic_db) == 0


async def test_json_that_is_not_an_update_is_400(
    client: Client, fake: FakeTelegram, clinic_db: Database
) -> None:
    bodies: list[Any] = [
        [],
        "update",
        42,
        None,
        {"message": {"text": "no update_id"}},
        {"update_id": "seven"},
        {"update_id": 7, "message": {"text": "a message without chat, date, id"}},
        {"update_id": 7, "callback_query": {"id": "1", "data": "m:book"}},
    ]
    for body in bodies:
        response = await post(client, json.dumps(body).encode())
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == "invalid_update"

    assert traffic(fake) == []
    assert await inbound_rows(clinic_db) == 0


async def test_a_huge_body_is_413(client: Client, fake: FakeTelegram) -> None:
    body = io.BytesIO(b"{" + b" " * (1024 * 1024) + b"}")

    response = await client.post(WEBHOOK, data=body, headers={SECRET_HEADER: SECRET})

    assert response.status == 413
    assert traffic(fake) == []


async def test_without_a_token_there_is_no_webhook(
    make_client: MakeClient, fake: FakeTelegram
) -> None:
    client = await make_client(telegram_bot_token=None)

    response = await post(client, fake.text_update("Hello"))

    assert response.status == 404
    assert fake.calls == []


async def test_without_a_secret_there_is_no_webhook(
    make_client: MakeClient, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(telegram_webhook_secret=None)

    response = await post(client, fake.text_update("Hello"))

    assert response.status == 404
    assert fake.calls == []  # nor a webhook registered without a secret
    assert "TELEGRAM_WEBHOOK_SECRET" in caplog.text
