"""The demo chat through real HTTP, on SQLite and PostgreSQL: the page (escaped, with its
form and a strict CSP), the JSON endpoint (text, button payloads, attachments) and its
refusals (session, JSON, sizes); and the pure contract on its own."""

from __future__ import annotations

import base64
import re
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from bot.chat import MAX_TEXT_CHARS, Attachment, Button, Incoming, Reply
from bot.dialog import Dialog
from bot.keys import DIALOG
from bot.webchat.messages import chat_id, reply_json
from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import Channel
from frontdesk.app import MAX_BODY_BYTES, create_app
from frontdesk.settings import load_settings
from testkit.chat import Recording
from testkit.factories import small_clinic

SEND = "/demo/chat/send"
SESSION = "a1b2c3d4e5f60718293a4b5c6d7e8f90"

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> Client:
    await small_clinic(db, clock, days=2)
    app = create_app(
        load_settings(database_url=database_url, run_worker_in_process=False, demo=True),
        clock=clock,
    )

    async def record(app: web.Application) -> None:
        app[DIALOG] = cast(Dialog, Recording(app[DIALOG]))

    app.on_startup.append(record)
    return await aiohttp_client(app)


def seen(client: Client) -> list[Incoming]:
    return cast(Recording, client.app[DIALOG]).seen


async def send(client: Client, body: Any) -> Any:
    return await client.post(SEND, json=body)


# -- the page ----------------------------------------------------------------------------------


async def test_the_page_renders_the_form(client: Client) -> None:
    response = await client.get("/demo/chat")

    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    assert '<form id="composer"' in html
    assert f'data-send-url="{SEND}"' in html
    assert '<label for="text">' in html
    assert 'role="log"' in html
    assert "textContent" in html
    assert "innerHTML" not in html
    assert "http://" not in html
    assert "https://" not in html  # no CDN


async def test_the_page_allows_only_its_own_script(client: Client) -> None:
    response = await client.get("/demo/chat")
    html = await response.text()

    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy)
    assert nonce
    assert html.count(f'nonce="{nonce.group(1)}"') == 2  # the style and the script
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    second = await client.get("/demo/chat")
    assert second.headers["Content-Security-Policy"] != policy  # a nonce per response


# -- sending -----------------------------------------------------------------------------------


async def test_typed_text_gets_replies_as_json(client: Client) -> None:
    response = await send(client, {"session": SESSION, "text": "Dzień dobry", "language": "uk-UA"})

    assert response.status == 200
    replies = await response.json()
    assert isinstance(replies, list)
    assert replies
    for reply in replies:
        assert set(reply) == {"text", "buttons", "attachment"}
        assert isinstance(reply["text"], str)
        assert all(set(b) == {"label", "payload"} for row in reply["buttons"] for b in row)
    [incoming] = seen(client)
    assert incoming.channel is Channel.WEB
    assert incoming.chat_id == f"web-{SESSION}"
    assert (incoming.text, incoming.payload) == ("Dzień dobry", None)
    assert incoming.language_hint == "uk-UA"
    assert incoming.shared_phone is None


async def test_a_button_payload_goes_back_to_the_dialog(client: Client) -> None:
    first = await (await send(client, {"session": SESSION, "text": "Dzień dobry"})).json()
    buttons = [b for reply in first for row in reply["buttons"] for b in row]
    assert buttons, "the greeting offers something to press"

    response = await send(client, {"session": SESSION, "payload": buttons[0]["payload"]})

    assert response.status == 200
    assert isinstance(await response.json(), list)
    pressed = seen(client)[-1]
    assert (pressed.payload, pressed.text) == (buttons[0]["payload"], None)
    assert pressed.chat_id == f"web-{SESSION}"
    assert seen(client)[0].delivery_id != pressed.delivery_id  # a fresh delivery each time


async def test_a_typed_number_that_is_not_ascii_is_answered(client: Client) -> None:
    """WhatsApp's "type 2 for the second button" reads ASCII digits only: "²" is text."""
    greeting = await send(client, {"session": SESSION, "text": "Dzień dobry"})
    assert greeting.status == 200
    response = await send(client, {"session": SESSION, "text": "²"})
    assert response.status == 200
    assert await response.json()


@pytest.mark.parametrize(
    "forged",
    ["{turn}|svc:abc", "{turn}|svc:", "{turn}|svc:²", "{turn}|svc:٣", "{turn}|day:x", "²|svc:1"],
)
async def test_a_forged_button_value_is_answered_and_the_chat_goes_on(
    client: Client, forged: str
) -> None:
    """A payload with a known action but a value the bot never wrote (`svc:abc`, digits
    that are not ASCII) is not understood, politely, at the step it was pressed at; it
    does not fail the request, and the real buttons still work."""

    async def press(payload: str) -> list[Any]:
        response = await send(client, {"session": SESSION, "payload": payload})
        assert response.status == 200
        replies: list[Any] = await response.json()
        return replies

    def payloads(replies: list[Any]) -> list[str]:
        return [b["payload"] for reply in replies for row in reply["buttons"] for b in row]

    greeting = await (await send(client, {"session": SESSION, "text": "Dzień dobry"})).json()
    polish = next(p for p in payloads(greeting) if p.endswith("lang:pl"))
    book = next(p for p in payloads(await press(polish)) if p.endswith("m:book"))
    services = [p for p in payloads(await press(book)) if "|svc:" in p]
    turn = services[0].split("|")[0]

    answer = await press(forged.format(turn=turn))

    assert answer, "the patient gets an answer"
    service = next(p for p in payloads(answer) if "|svc:" in p)  # the question, asked again
    assert [p for p in payloads(await press(service)) if "|day:" in p]  # and booking goes on


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"text": "hej"}, "session", id="no-session"),
        pytest.param({"session": "short", "text": "hej"}, "session", id="short-session"),
        pytest.param({"session": "x" * 65, "text": "hej"}, "session", id="long-session"),
        pytest.param({"session": "bad session!", "text": "hej"}, "session", id="bad-characters"),
        pytest.param({"session": 12345678, "text": "hej"}, "session", id="number-session"),
        pytest.param({"session": SESSION}, "text", id="nothing-sent"),
        pytest.param({"session": SESSION, "text": "a", "payload": "b"}, "text", id="both"),
        pytest.param({"session": SESSION, "text": "   "}, "text", id="blank-text"),
        pytest.param({"session": SESSION, "text": ["hej"]}, "text", id="text-not-a-string"),
        pytest.param(
            {"session": SESSION, "text": "x" * (MAX_TEXT_CHARS + 1)}, "text", id="oversized-text"
        ),
        pytest.param({"session": SESSION, "payload": "p" * 65}, "payload", id="long-payload"),
        pytest.param(
            {"session": SESSION, "text": "hej", "language": "<script>"}, "language", id="language"
        ),
        pytest.param([SESSION, "hej"], "body", id="not-an-object"),
    ],
)
async def test_bad_input_is_400_with_the_field_named(client: Client, body: Any, field: str) -> None:
    response = await send(client, body)

    assert response.status == 400
    error = (await response.json())["error"]
    assert (error["code"], error["field"]) == ("invalid_message", field)
    assert seen(client) == []


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"session": "' + SESSION.encode() + b'", "text": "\xff"}', b"[" * 5000]
)
async def test_malformed_json_is_400(client: Client, raw: bytes) -> None:
    response = await client.post(SEND, data=raw, headers={"Content-Type": "application/json"})

    assert response.status == 400
    assert (await response.json())["error"]["field"] == "body"
    assert seen(client) == []


async def test_text_at_the_limit_is_accepted(client: Client) -> None:
    response = await send(client, {"session": SESSION, "text": "ż" * MAX_TEXT_CHARS})

    assert response.status == 200
    assert seen(client)[0].text == "ż" * MAX_TEXT_CHARS


async def test_a_body_over_the_app_limit_is_413(client: Client) -> None:
    response = await send(client, {"session": SESSION, "text": "x" * (MAX_BODY_BYTES + 1)})

    assert response.status == 413
    assert seen(client) == []


# -- the contract on its own -------------------------------------------------------------------


def test_a_reply_is_json_with_rows_of_buttons_and_a_base64_attachment() -> None:
    reply = Reply(
        "<b>Twoja wizyta</b>",
        ((Button("Tak", "y"), Button("Nie", "n")), (Button("Menu", "m"),)),
        attachment=Attachment("wizyta.ics", b"BEGIN:VCALENDAR\r\n", "text/calendar"),
    )

    assert reply_json(reply) == {
        "text": "<b>Twoja wizyta</b>",  # the page puts it in as text, never as HTML
        "buttons": [
            [{"label": "Tak", "payload": "y"}, {"label": "Nie", "payload": "n"}],
            [{"label": "Menu", "payload": "m"}],
        ],
        "attachment": {
            "filename": "wizyta.ics",
            "mime": "text/calendar",
            "base64": base64.b64encode(b"BEGIN:VCALENDAR\r\n").decode(),
        },
    }
    assert reply_json(Reply("Hej"))["attachment"] is None


def test_every_session_fits_the_chat_id_column_without_collisions() -> None:
    short, long_a, long_b = "s" * 8, "a" * 63 + "b", "a" * 63 + "c"

    assert chat_id(short) == "web-" + short
    assert chat_id("x" * 60) == "web-" + "x" * 60
    assert len(chat_id(long_a)) <= 64
    assert chat_id(long_a).startswith("web-")
    assert chat_id(long_a) != chat_id(long_b)


# -- the page in the patient's language, and the desk's replies -------------------------------


@pytest.mark.parametrize(
    ("query", "header", "lang", "send_label"),
    [
        ("", "", "pl", "Wyślij"),
        ("?lang=uk", "", "uk", "Надіслати"),
        ("", "ru-RU,ru;q=0.9", "ru", "Отправить"),
        ("?lang=en", "pl", "en", "Send"),
    ],
)
async def test_the_page_speaks_the_patients_language(
    client: Client, query: str, header: str, lang: str, send_label: str
) -> None:
    response = await client.get("/demo/chat" + query, headers={"Accept-Language": header})
    html = await response.text()
    assert f'<html lang="{lang}">' in html
    assert f">{send_label}</button>" in html
    assert f'data-lang="{lang}"' in html


async def test_a_free_time_from_the_clinics_page_opens_the_chat_on_it(client: Client) -> None:
    html = await (await client.get("/demo/chat?start=slot-1-202612020700")).text()
    assert 'data-start="slot-1-202612020700"' in html
    html = await (await client.get("/demo/chat?start=%3Cscript%3E")).text()
    assert 'data-start=""' in html


async def test_the_desks_reply_reaches_the_open_page(client: Client, db: Database, clock) -> None:
    from core.messaging.escalation import EscalationService

    await send(client, {"session": SESSION, "text": "/start", "language": "uk"})
    await send(client, {"session": SESSION, "payload": "m:human"})
    desk = EscalationService(db, clock)
    case = await desk.active(Channel.WEB, chat_id(SESSION))
    assert case is not None
    assert case.id is not None
    await desk.reply(case.id, "admin", "Dzień dobry, zapraszamy jutro.")
    inbox = f"/demo/chat/inbox?session={SESSION}&after=0&lang=uk"
    data = await (await client.get(inbox)).json()
    [reply] = data["replies"]
    assert reply["text"] == "Реєстратура: Dzień dobry, zapraszamy jutro."
    again = await (await client.get(inbox.replace("after=0", f"after={data['last']}"))).json()
    assert again["replies"] == []
    other = await (await client.get(inbox.replace(SESSION, "z" * 32))).json()
    assert other["replies"] == []
    assert (await client.get("/demo/chat/inbox?session=x&after=0")).status == 400


async def test_the_web_chat_takes_only_the_desks_replies() -> None:
    from bot.webchat.notify import WebChatSender
    from core.messaging.port import REMINDER, STAFF_REPLY, Outgoing, Undeliverable

    sender = WebChatSender()
    assert await sender.send("web-x", Outgoing(STAFF_REPLY, "pl", "Dzień dobry"))
    with pytest.raises(Undeliverable):
        await sender.send("web-x", Outgoing(REMINDER, "pl", "Jutro wizyta"))
