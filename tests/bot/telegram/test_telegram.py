"""The Telegram face against a fake Bot API server (testkit/fakes/telegram.py), through real HTTP
on both sides, on SQLite and PostgreSQL: the webhook's gate (secret, JSON, update, size),
redeliveries, buttons, contacts, send failures, the webhook registration and long polling;
and the pure parts (translate, render) on their own."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import func, select

from bot.chat import MAX_TEXT_CHARS, Attachment, Button, Reply
from bot.dialog import Dialog
from bot.keys import DIALOG
from bot.telegram import sends as sends_module
from bot.telegram.answer import DialogFailed, answer_update
from bot.telegram.keys import SENDS
from bot.telegram.lifecycle import Session
from bot.telegram.outbox import Outbox, Sent
from bot.telegram.polling import MAX_ATTEMPTS, Poller
from bot.telegram.render import CONTACT_PROMPT, render, split_text
from bot.telegram.routes import SECRET_HEADER
from bot.telegram.sends import ChatQueues
from bot.telegram.translate import translate
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Contact, InboundMessage
from core.patients.linking import IssuedCode
from core.vocab import Channel, ContactKind
from frontdesk.app import create_app
from frontdesk.services import build_services
from frontdesk.settings import load_settings
from testkit.factories import small_clinic
from testkit.fakes.telegram import PATIENT_ID, TOKEN, Call, FakeTelegram
from tests.conftest import NOW

SECRET = "webhook-Secret_0123456789"
PUBLIC = "https://clinic.example"
WEBHOOK = "/telegram/webhook"

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeTelegram:
    fake = FakeTelegram()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


class telegram_bot:  # used as `async with telegram_bot(fake) as bot`
    """A Bot pointed at the fake, closed on exit."""

    def __init__(self, fake: FakeTelegram, token: str = TOKEN) -> None:
        api = TelegramAPIServer.from_base(fake.base_url)
        self.bot = Bot(token, session=Session(api=api))

    async def __aenter__(self) -> Bot:
        return self.bot

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.session.close()


@pytest.fixture
async def clinic_db(db: Database, clock: FrozenClock) -> Database:
    """A small clinic, so the dialog has something to talk about."""
    await small_clinic(db, clock, days=2)
    return db


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTelegram,
    clinic_db: Database,
) -> Callable[..., Awaitable[Client]]:
    async def make(
        before_start: Callable[[web.Application], Awaitable[None]] | None = None, **overrides: Any
    ) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "telegram_bot_token": TOKEN,
            "telegram_webhook_secret": SECRET,
            "telegram_api_server": fake.base_url,
            "public_base_url": PUBLIC,
            "run_worker_in_process": False,
            **overrides,
        }
        app = create_app(load_settings(**config), clock=clock)
        if before_start is not None:
            app.on_startup.append(before_start)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


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


async def test_sends_keep_their_order_per_chat_and_survive_a_failing_job() -> None:
    queues = ChatQueues()
    done: list[str] = []
    gate = asyncio.Event()

    async def job(name: str, wait: bool = False, fail: bool = False) -> None:
        if wait:
            await gate.wait()
        if fail:
            raise RuntimeError("boom")
        done.append(name)

    queues.submit(1, partial(job, "1a", wait=True))
    queues.submit(1, partial(job, "1b", fail=True))
    queues.submit(1, partial(job, "1c"))
    queues.submit(2, partial(job, "2a"))
    await asyncio.sleep(0.01)
    assert done == ["2a"]  # another chat is not held up by the first one
    gate.set()
    await queues.drain()
    assert done == ["2a", "1a", "1c"]


async def test_closing_cancels_sends_that_outlast_the_drain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sends_module, "DRAIN_SECONDS", 0.05)
    queues = ChatQueues()
    never = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    queues.submit(1, stuck)

    await queues.close()
    await asyncio.sleep(0)  # let the cancellation land

    assert cancelled == [True]


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


# -- send failures never fail the update ---------------------------------------------------------


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


# -- a failing dialog ---------------------------------------------------------------------------


class ExplodingOnce:
    """The app's dialog, except that its first answer raises (after recording the delivery)."""

    def __init__(self, dialog: Any) -> None:
        self.dialog = dialog
        self.services = dialog.services
        self.exploded = False

    async def handle(self, incoming: Any) -> Any:
        if not self.exploded:
            self.exploded = True
            await self.services.conversations.begin(
                incoming.channel, incoming.chat_id, incoming.delivery_id
            )
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


# -- registration and polling --------------------------------------------------------------------


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


async def test_linking_codes_reach_linked_telegram_chats(
    client: Client, fake: FakeTelegram
) -> None:
    courier = client.app[DIALOG].services.courier
    assert courier is not None
    chat = Contact(patient_id=1, kind=ContactKind.TELEGRAM, value=str(PATIENT_ID))
    issued = IssuedCode(patient_id=1, code="123456789", expires_at=NOW, contacts=[chat])

    assert await courier.deliver_code(issued, "pl")
    fake.blocked.add(PATIENT_ID)
    assert not await courier.deliver_code(issued, "pl")

    [sent] = sends(fake)
    assert sent["chat_id"] == PATIENT_ID
    assert "123456789" in sent["text"]


# -- translate ---------------------------------------------------------------------------------


def incoming_of(update: dict[str, Any]) -> Any:
    return translate(Update.model_validate(update))


def test_translate_a_text_message(fake: FakeTelegram) -> None:
    update = fake.text_update("Dzień dobry", language_code="uk")

    incoming = incoming_of(update)

    assert incoming.channel == Channel.TELEGRAM
    assert incoming.chat_id == str(PATIENT_ID)
    assert incoming.delivery_id == str(update["update_id"])
    assert incoming.text == "Dzień dobry"
    assert incoming.payload is None
    assert incoming.shared_phone is None
    assert incoming.language_hint == "uk"


def test_translate_keeps_the_deep_link_payload(fake: FakeTelegram) -> None:
    assert incoming_of(fake.start_update("ref_AB-12")).text == "/start ref_AB-12"


def test_translate_cuts_overlong_text(fake: FakeTelegram) -> None:
    incoming = incoming_of(fake.text_update("x" * (MAX_TEXT_CHARS + 500)))

    assert incoming.text == "x" * MAX_TEXT_CHARS


def test_translate_a_button_press(fake: FakeTelegram) -> None:
    update = fake.callback_update("slot:2026-12-01T08:15:CONS", language_code="en")

    incoming = incoming_of(update)

    assert incoming.payload == "slot:2026-12-01T08:15:CONS"
    assert incoming.text is None
    assert incoming.chat_id == str(PATIENT_ID)
    assert incoming.language_hint == "en"


@pytest.mark.parametrize("phone", ["48501234567", "+48501234567"])
def test_translate_the_patients_own_contact(fake: FakeTelegram, phone: str) -> None:
    incoming = incoming_of(fake.contact_update(phone))

    assert incoming.shared_phone == "+48501234567"


@pytest.mark.parametrize("contact_user_id", [PATIENT_ID + 1, None])
def test_a_forwarded_contact_is_not_the_patients_phone(
    fake: FakeTelegram, contact_user_id: int | None
) -> None:
    incoming = incoming_of(fake.contact_update("48609000111", contact_user_id=contact_user_id))

    assert incoming is not None  # the dialog still hears that something came
    assert incoming.shared_phone is None
    assert incoming.text is None
    assert incoming.extras == {"content_type": "contact"}


def test_translate_ignores_what_is_not_the_patients(fake: FakeTelegram) -> None:
    group = {"id": -1001, "type": "group", "title": "Family"}
    bot_sender = fake.text_update("hi")
    bot_sender["message"]["from"]["is_bot"] = True

    assert incoming_of(fake.text_update("hi", chat=group)) is None
    assert incoming_of(bot_sender) is None
    assert incoming_of({"update_id": 9}) is None


# -- render --------------------------------------------------------------------------------------


def test_render_buttons_carry_their_payload_as_callback_data() -> None:
    reply = Reply(
        "Choose",
        (
            (Button("Mon 08:00", "slot:1"), Button("Mon 08:15", "slot:2")),
            (Button("Back", "m:back"),),
        ),
    )

    [method] = render(PATIENT_ID, reply)

    assert isinstance(method, SendMessage)
    assert method.chat_id == PATIENT_ID
    assert method.text == "Choose"
    assert method.parse_mode is None
    assert method.reply_markup == InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Mon 08:00", callback_data="slot:1"),
                InlineKeyboardButton(text="Mon 08:15", callback_data="slot:2"),
            ],
            [InlineKeyboardButton(text="Back", callback_data="m:back")],
        ]
    )


def test_render_asks_for_the_contact_with_a_contact_keyboard() -> None:
    [method] = render(PATIENT_ID, Reply("Share your phone", ask_contact="📱 Share"))

    assert isinstance(method, SendMessage)
    markup = method.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup)
    [[button]] = markup.keyboard
    assert button.request_contact is True
    assert button.text == "📱 Share"
    assert markup.one_time_keyboard is True
    assert markup.resize_keyboard is True


def test_render_contact_and_buttons_go_in_two_messages() -> None:
    reply = Reply("Share your phone or type it", ((Button("Cancel", "m:cancel"),),), "📱")

    first, second = render(PATIENT_ID, reply)

    assert isinstance(first, SendMessage)
    assert isinstance(second, SendMessage)
    assert first.text == reply.text
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert second.text == CONTACT_PROMPT
    assert isinstance(second.reply_markup, ReplyKeyboardMarkup)


def test_render_an_attachment_as_a_document() -> None:
    reply = Reply(
        "Your visit", attachment=Attachment("visit.ics", b"BEGIN:VCALENDAR", "text/calendar")
    )

    message, document = render(PATIENT_ID, reply)

    assert isinstance(message, SendMessage)
    assert message.text == "Your visit"
    assert isinstance(document, SendDocument)
    assert document.document.filename == "visit.ics"  # type: ignore[union-attr]
    assert document.document.data == b"BEGIN:VCALENDAR"  # type: ignore[union-attr]


def test_render_splits_long_texts_and_keeps_the_buttons_last() -> None:
    text = ("line 😀\n" * 1200).strip()
    reply = Reply(text, ((Button("OK", "ok"),),))

    parts = render(PATIENT_ID, reply)

    assert len(parts) > 1
    assert "".join(p.text for p in parts) == text  # type: ignore[attr-defined]
    assert all(len(p.text.encode("utf-16-le")) // 2 <= 4096 for p in parts)  # type: ignore[attr-defined]
    assert all(p.reply_markup is None for p in parts[:-1])  # type: ignore[attr-defined]
    assert parts[-1].reply_markup is not None  # type: ignore[attr-defined]
    assert split_text("short") == ["short"]


def test_render_never_sends_an_empty_text() -> None:
    assert render(PATIENT_ID, Reply("   ")) == []
    [method] = render(PATIENT_ID, Reply("", ((Button("OK", "ok"),),)))
    assert isinstance(method, SendMessage)
    assert method.text.strip()


async def test_rendered_replies_are_accepted_by_the_fake_telegram(fake: FakeTelegram) -> None:
    reply = Reply(
        "x" * 5000,
        ((Button("A" * 30, "p" * 64),),),
        ask_contact="📱",
        attachment=Attachment("a.txt", b"hello", "text/plain"),
    )
    async with telegram_bot(fake) as bot:
        sent = await Outbox(bot).deliver(render(PATIENT_ID, reply))

    assert sent is Sent.OK
    assert [c.method for c in fake.calls] == ["sendMessage"] * 3 + ["sendDocument"]
    assert fake.calls[-1].params["document"]["content"] == b"hello"


# -- the fake keeps Telegram's contract ----------------------------------------------------------


async def test_the_fake_refuses_what_telegram_refuses(fake: FakeTelegram) -> None:
    too_long_data = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="p" * 65)]]
    )
    async with telegram_bot(fake) as bot:
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(PATIENT_ID, "Hi", reply_markup=too_long_data)
        with pytest.raises(TelegramBadRequest, match="too long"):
            await bot.send_message(PATIENT_ID, "😀" * 2049)
    async with telegram_bot(fake, token="42:wrong") as bot:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()

    assert [c.status for c in fake.calls] == [400, 400, 401]
