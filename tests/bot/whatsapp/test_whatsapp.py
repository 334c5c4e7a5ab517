"""The WhatsApp face against a fake Twilio (testkit/fakes/twilio.py), through real HTTP on both
sides, on SQLite and PostgreSQL: the webhook's gate (configured, signature over the public
URL, fields, size), redeliveries, the replies' delivery with Twilio's failures; and the pure
parts (signature check, inbound fields, request building, error parsing, rendering)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast
from xml.etree import ElementTree

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import MultiDict
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import func, select

from bot.chat import MAX_TEXT_CHARS, Attachment, Button, Incoming, Reply
from bot.dialog import Dialog
from bot.keys import DIALOG
from bot.whatsapp.inbound import InvalidInbound, parse_inbound
from bot.whatsapp.render import MAX_BODY_UNITS, render, render_turn, split, units
from bot.whatsapp.routes import PATH
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Contact, InboundMessage
from core.patients.linking import IssuedCode
from core.vocab import Channel, ContactKind
from edge.twilio_rest import (
    OutsideSessionWindow,
    RetryPolicy,
    TwilioAccount,
    TwilioClient,
    TwilioError,
    TwilioUnavailable,
    parse_error,
    send_request,
)
from edge.twilio_signature import is_signed
from frontdesk.app import create_app
from frontdesk.keys import TWILIO_RETRY
from frontdesk.settings import load_settings
from testkit.factories import small_clinic
from testkit.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PATIENT,
    SENDER,
    SMS_SENDER,
    FakeTwilio,
    inbound_whatsapp,
    outside_window,
    server_error,
    sign,
    throttled,
)
from tests.conftest import NOW

PUBLIC = "https://clinic.example"

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


class Sleeps:
    """Tenacity's sleep, recorded instead of slept: retries are checked, not waited for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Recording:
    """The real Dialog, with what it was handed kept for the assertions."""

    def __init__(self, inner: Dialog) -> None:
        self.inner = inner
        self.services = inner.services
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        return await self.inner.handle(incoming)


class ExplodingOnce(Recording):
    async def handle(self, incoming: Incoming) -> list[Reply]:
        if not self.seen:
            self.seen.append(incoming)
            await self.services.conversations.begin(
                incoming.channel, incoming.chat_id, incoming.delivery_id
            )
            raise RuntimeError("the dialog broke")
        return await super().handle(incoming)


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeTwilio:
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def clinic_db(db: Database, clock: FrozenClock) -> Database:
    """A small clinic, so the dialog has something to talk about."""
    await small_clinic(db, clock, days=2)
    return db


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTwilio,
    clinic_db: Database,
    sleeps: Sleeps,
) -> MakeClient:
    async def make(wrap: type[Recording] | None = Recording, **overrides: Any) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_from": SENDER,
            "twilio_api_base": fake.base_url,
            "run_worker_in_process": False,
            **overrides,
        }
        app = create_app(load_settings(**config), clock=clock)
        app[TWILIO_RETRY] = RetryPolicy(sleep=sleeps)

        async def wrap_dialog(app: web.Application) -> None:
            if wrap is not None:
                app[DIALOG] = cast(Dialog, wrap(app[DIALOG]))

        app.on_startup.append(wrap_dialog)
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


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


# -- linking codes --------------------------------------------------------------------------------


async def test_a_linking_code_goes_to_whatsapp_then_falls_back_to_sms(
    make_client: MakeClient, fake: FakeTwilio
) -> None:
    client = await make_client(twilio_sms_from=SMS_SENDER)
    courier = client.app[DIALOG].services.courier
    assert courier is not None
    contacts = [
        Contact(patient_id=1, kind=ContactKind.WHATSAPP, value=PATIENT),
        Contact(patient_id=1, kind=ContactKind.PHONE, value="+48501000999"),
    ]
    issued = IssuedCode(patient_id=1, code="123456789", expires_at=NOW, contacts=contacts)

    assert await courier.deliver_code(issued, "pl")  # WhatsApp takes it
    fake.fail_next(outside_window())  # the patient last wrote more than 24 hours ago
    assert await courier.deliver_code(issued, "pl")  # so SMS does

    whatsapp, sms = fake.messages
    assert (whatsapp.to, whatsapp.from_) == (f"whatsapp:{PATIENT}", SENDER)
    assert (sms.to, sms.from_) == ("+48501000999", SMS_SENDER)
    assert "123456789" in whatsapp.body
    assert "123456789" in sms.body


# -- the webhook ------------------------------------------------------------------------------


async def test_a_signed_message_is_answered_on_whatsapp(
    client: Client, fake: FakeTwilio, clinic_db: Database
) -> None:
    response = await post(client, inbound_whatsapp("Dzień dobry"))

    assert response.status == 200
    assert response.content_type == "text/xml"
    twiml = ElementTree.fromstring(await response.text())  # noqa: S314 (our own answer)
    assert twiml.tag == "Response"
    assert list(twiml) == []  # the replies go through the REST API, not TwiML
    assert fake.sent_to(PATIENT)
    assert {(m.to, m.from_) for m in fake.messages} == {(f"whatsapp:{PATIENT}", SENDER)}
    assert await inbound_rows(clinic_db) == 1


async def test_the_dialog_gets_the_message_as_whatsapp_vouches_for_it(client: Client) -> None:
    params = inbound_whatsapp("Chcę się zapisać")

    assert (await post(client, params)).status == 200

    [incoming] = seen(client)
    assert incoming.channel is Channel.WHATSAPP
    assert incoming.chat_id == PATIENT
    assert incoming.shared_phone == PATIENT
    assert incoming.delivery_id == params["MessageSid"]
    assert incoming.text == "Chcę się zapisać"
    assert incoming.payload is None


async def test_a_quick_reply_payload_is_passed_with_its_text(client: Client) -> None:
    params = inbound_whatsapp("Potwierdzam", ButtonText="Potwierdzam", ButtonPayload="confirm:42")

    assert (await post(client, params)).status == 200

    [incoming] = seen(client)
    assert (incoming.payload, incoming.text) == ("confirm:42", "Potwierdzam")


async def test_button_text_stands_in_for_an_empty_body(client: Client) -> None:
    params = inbound_whatsapp("", ButtonText="Anuluj", ButtonPayload="x" * 65)  # unusable payload

    assert (await post(client, params)).status == 200

    [incoming] = seen(client)
    assert (incoming.payload, incoming.text) == (None, "Anuluj")


async def test_emoji_and_right_to_left_text_go_through(client: Client, fake: FakeTwilio) -> None:
    text = "مرحبا 👋🏽 שלום! 🇵🇱 Zażółć"

    assert (await post(client, inbound_whatsapp(text))).status == 200

    assert seen(client)[0].text == text
    assert fake.sent_to(PATIENT)


async def test_the_same_message_sid_twice_is_answered_once(
    client: Client, fake: FakeTwilio, clinic_db: Database
) -> None:
    params = inbound_whatsapp("Dzień dobry")

    assert (await post(client, params)).status == 200
    answered = len(fake.messages)
    assert (await post(client, params)).status == 200  # Twilio's retry

    assert answered > 0
    assert len(fake.messages) == answered
    assert await inbound_rows(clinic_db) == 1


async def test_a_query_string_is_part_of_the_signed_url(client: Client, fake: FakeTwilio) -> None:
    response = await post(client, inbound_whatsapp(), path=PATH + "?source=wa&v=2")

    assert response.status == 200
    assert fake.sent_to(PATIENT)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="unsigned"),
        pytest.param("", id="empty"),
        pytest.param("RSOYDt4T1cUTdK1PDd93/VVr8B8=", id="wrong"),
        pytest.param("local", id="over-the-local-url"),
        pytest.param("other-token", id="another-token"),
        pytest.param("tampered", id="params-changed-after-signing"),
    ],
)
async def test_a_badly_signed_webhook_is_refused_and_touches_nothing(
    client: Client, fake: FakeTwilio, clinic_db: Database, signature: str | None
) -> None:
    params = inbound_whatsapp("Dzień dobry")
    if signature == "local":
        signature = sign(str(client.make_url(PATH)), params)
    elif signature == "other-token":
        signature = sign(PUBLIC + PATH, params, auth_token="0" * 32)
    elif signature == "tampered":
        signature = sign(PUBLIC + PATH, params)
        params = {**params, "Body": "Anuluj wszystkie wizyty"}

    response = await post(client, params, signature=signature)

    assert response.status == 403
    assert seen(client) == []
    assert await inbound_rows(clinic_db) == 0
    assert fake.requests == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"MessageSid": None}, id="no-MessageSid"),
        pytest.param({"MessageSid": "SM 1"}, id="bad-MessageSid"),
        pytest.param({"From": None}, id="no-From"),
        pytest.param({"From": PATIENT}, id="From-not-WhatsApp"),
        pytest.param({"From": "whatsapp:hello"}, id="From-not-a-number"),
        pytest.param({"Body": None}, id="no-Body"),
    ],
)
async def test_a_signed_but_incomplete_message_is_400(
    client: Client, fake: FakeTwilio, clinic_db: Database, change: dict[str, str | None]
) -> None:
    params = inbound_whatsapp("Dzień dobry")
    for name, value in change.items():
        if value is None:
            del params[name]
        else:
            params[name] = value

    response = await post(client, params)

    assert response.status == 400
    assert await inbound_rows(clinic_db) == 0
    assert fake.requests == 0


async def test_an_undecodable_form_is_400(client: Client, fake: FakeTwilio) -> None:
    response = await client.post(
        PATH,
        data=b"Body=%C5\xff&MessageSid=SM1",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )

    assert response.status == 400
    assert fake.requests == 0


async def test_a_megabyte_body_is_413(
    client: Client, fake: FakeTwilio, clinic_db: Database
) -> None:
    params = inbound_whatsapp("x" * 1_000_000)

    response = await post(client, params)

    assert response.status == 413
    assert await inbound_rows(clinic_db) == 0
    assert fake.requests == 0


@pytest.mark.parametrize(
    "missing",
    ["twilio_auth_token", "public_base_url", "twilio_account_sid", "twilio_whatsapp_from"],
)
async def test_the_webhook_is_404_until_twilio_is_configured(
    make_client: MakeClient, clinic_db: Database, missing: str
) -> None:
    client = await make_client(**{missing: None})

    response = await post(client, inbound_whatsapp())

    assert response.status == 404
    assert await inbound_rows(clinic_db) == 0


async def test_a_throttled_send_is_retried_after_retry_after_and_delivered_once(
    client: Client, fake: FakeTwilio, sleeps: Sleeps
) -> None:
    fake.fail_next(throttled(retry_after=1))

    response = await post(client, inbound_whatsapp("Dzień dobry"))

    assert response.status == 200
    bodies = fake.sent_to(PATIENT)
    assert bodies
    assert fake.requests == len(bodies) + 1
    assert sleeps.waits == [1.0]


async def test_twilio_failing_for_good_still_answers_200_and_logs_the_code_only(
    client: Client, fake: FakeTwilio, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_always(server_error())
    caplog.set_level(logging.INFO)

    response = await post(client, inbound_whatsapp("Mój sekret 1234"))

    assert response.status == 200
    assert fake.messages == []
    assert fake.requests == 3  # bounded: three attempts for the first reply, then it stops
    assert sleeps.waits == [0.5, 1.0]
    logs = our_logs(caplog)
    assert "20500" in logs
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert PATIENT.removeprefix("+") not in everything
    assert "sekret" not in everything


async def test_a_failing_dialog_forgets_the_delivery_so_twilio_can_retry(
    make_client: MakeClient, fake: FakeTwilio, clinic_db: Database
) -> None:
    client = await make_client(wrap=ExplodingOnce)
    params = inbound_whatsapp("Dzień dobry")

    failed = await post(client, params)
    assert failed.status == 500
    assert await inbound_rows(clinic_db) == 0
    assert fake.messages == []

    retried = await post(client, params)
    assert retried.status == 200
    assert fake.sent_to(PATIENT)


# -- the signature check on its own ------------------------------------------------------------

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilios_test_vector_passes() -> None:
    assert is_signed("12345", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    assert is_signed("12345", VECTOR_URL, MultiDict(VECTOR_PARAMS), VECTOR_SIGNATURE)
    assert is_signed(
        "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", VECTOR_PARAMS, VECTOR_SIGNATURE
    )


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("12346", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE),
        ("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", VECTOR_PARAMS, VECTOR_SIGNATURE),
        ("12345", VECTOR_URL, {**VECTOR_PARAMS, "Digits": "1235"}, VECTOR_SIGNATURE),
        ("12345", VECTOR_URL, VECTOR_PARAMS, None),
        ("12345", VECTOR_URL, VECTOR_PARAMS, ""),
        ("", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE),
    ],
)
def test_anything_else_fails_the_signature(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not is_signed(token, url, params, signature)


# -- inbound fields ----------------------------------------------------------------------------


def test_an_overlong_body_is_cut_for_the_dialog() -> None:
    incoming = parse_inbound(inbound_whatsapp("ą" * (MAX_TEXT_CHARS + 10)))

    assert incoming.text == "ą" * MAX_TEXT_CHARS


def test_media_is_noted_for_the_dialog() -> None:
    incoming = parse_inbound(inbound_whatsapp("", NumMedia="1", MediaContentType0="image/jpeg"))

    assert incoming.text == ""
    assert incoming.extras == {"num_media": "1"}


def test_a_refusal_names_the_field_never_the_value() -> None:
    with pytest.raises(InvalidInbound) as caught:
        parse_inbound({**inbound_whatsapp(), "From": "whatsapp:+48 501 234 567"})

    assert caught.value.field == "From"
    assert "501" not in str(caught.value)


# -- the REST client ---------------------------------------------------------------------------


def account(fake: FakeTwilio, token: str = AUTH_TOKEN) -> TwilioAccount:
    return TwilioAccount(sid=ACCOUNT_SID, token=token, sender=SENDER, api_base=fake.base_url)


class twilio_client:  # used as `async with twilio_client(fake) as client`
    """A client on its own httpx pool, closed on exit."""

    def __init__(self, fake: FakeTwilio, *, token: str = AUTH_TOKEN, **http: Any) -> None:
        self.http = httpx.AsyncClient(**http)
        self.sleeps = Sleeps()
        self.client = TwilioClient(self.http, account(fake, token), RetryPolicy(sleep=self.sleeps))

    async def __aenter__(self) -> TwilioClient:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


def test_the_send_request_is_built_without_io() -> None:
    request = send_request(
        TwilioAccount(ACCOUNT_SID, "token", SENDER, "https://api.twilio.com/"), PATIENT, "Hej"
    )

    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {"To": f"whatsapp:{PATIENT}", "From": SENDER, "Body": "Hej"}
    assert send_request(account(FakeTwilio()), f"whatsapp:{PATIENT}", "x").form["To"] == (
        f"whatsapp:{PATIENT}"
    )


def test_twilio_errors_are_parsed_into_types() -> None:
    window = parse_error(400, b'{"code": 63016, "message": "...", "more_info": "u", "status": 400}')
    refused = parse_error(400, b'{"code": 21211, "message": "+48501234567 invalid", "status": 400}')
    garbage = parse_error(400, b"<html>bad gateway</html>")

    assert type(window) is OutsideSessionWindow
    assert (window.code, window.status, window.more_info) == (63016, 400, "u")
    assert type(refused) is TwilioError
    assert (refused.code, refused.status) == (21211, 400)
    assert "+48" not in str(refused)
    assert (garbage.code, garbage.status) == (None, 400)


async def test_the_client_sends_with_basic_auth(fake: FakeTwilio) -> None:
    async with twilio_client(fake) as client:
        sent = await client.send(PATIENT, "Dzień dobry 👋")

    assert sent.status == "queued"
    assert sent.sid.startswith("SM")
    assert len(sent.sid) == 34
    assert fake.sent_to(PATIENT) == ["Dzień dobry 👋"]


async def test_outside_the_24_hour_window_is_a_typed_error(fake: FakeTwilio) -> None:
    fake.fail_next(outside_window())

    async with twilio_client(fake) as client:
        with pytest.raises(OutsideSessionWindow) as caught:
            await client.send(PATIENT, "Przypomnienie")

    assert (caught.value.code, caught.value.status) == (63016, 400)
    assert fake.requests == 1  # never retried


async def test_a_wrong_token_is_twilios_20003(fake: FakeTwilio) -> None:
    async with twilio_client(fake, token="0" * 32) as client:
        with pytest.raises(TwilioError) as caught:
            await client.send(PATIENT, "Hej")

    assert (caught.value.code, caught.value.status) == (20003, 401)
    assert fake.messages == []


async def test_a_long_retry_after_is_not_waited_for(fake: FakeTwilio) -> None:
    fake.fail_next(throttled(retry_after=30))

    async with twilio_client(fake) as client:
        with pytest.raises(TwilioUnavailable) as caught:
            await client.send(PATIENT, "Hej")

    assert (caught.value.code, caught.value.status) == (20429, 429)
    assert fake.requests == 1


async def test_a_timed_out_send_is_not_retried(fake: FakeTwilio) -> None:
    fake.delay = 0.5

    async with twilio_client(fake, timeout=0.05) as client:
        with pytest.raises(TwilioUnavailable):
            await client.send(PATIENT, "Hej")

    assert fake.requests == 1  # Twilio may have queued it: a retry could send it twice


async def test_server_errors_are_retried_at_most_three_times(fake: FakeTwilio) -> None:
    fake.fail_next(server_error(), times=2)

    async with twilio_client(fake) as client:
        await client.send(PATIENT, "Hej")

    assert fake.requests == 3
    assert fake.sent_to(PATIENT) == ["Hej"]


# -- rendering ---------------------------------------------------------------------------------


def test_buttons_are_numbered_across_rows_in_reading_order() -> None:
    reply = Reply(
        "Co chcesz zrobić?",
        (
            (Button("Umów wizytę", "m:book"), Button("Moje wizyty", "m:mine")),
            (Button("Rozmowa\nz recepcją", "m:human"),),
        ),
    )

    assert render(reply) == [
        "Co chcesz zrobić?\n\n1. Umów wizytę\n2. Moje wizyty\n3. Rozmowa z recepcją\n\n↩️ 1–3"
    ]


def test_a_turn_is_one_message_with_only_the_last_buttons_numbered() -> None:
    replies = [
        Reply("Zarezerwowano.", ((Button("Do kalendarza", "ics:7"),),)),
        Reply("Co dalej?", ((Button("Menu", "menu"), Button("Pomoc", "m:help")),)),
        Reply("Dziękujemy!"),
    ]

    assert render_turn(replies) == [
        # "Do kalendarza" is left out: the Dialog maps typed numbers to the last buttons only
        "Zarezerwowano.\n\nCo dalej?\n\n1. Menu\n2. Pomoc\n\n↩️ 1–2\n\nDziękujemy!"
    ]
    assert render_turn([Reply("Jedna opcja", ((Button("OK", "ok"),),))]) == [
        "Jedna opcja\n\n1. OK\n\n↩️ 1"
    ]
    assert render_turn([]) == []


def test_a_long_turn_is_split_between_its_replies() -> None:
    first, second = Reply("a" * 1000), Reply("b" * 1000, ((Button("OK", "ok"),),))

    assert render_turn([first, second]) == ["a" * 1000, "b" * 1000 + "\n\n1. OK\n\n↩️ 1"]


def test_a_reply_without_buttons_is_its_text() -> None:
    assert render(Reply("Do zobaczenia!")) == ["Do zobaczenia!"]


def test_contact_requests_and_attachments_add_nothing() -> None:
    reply = Reply(
        "Twoja wizyta",
        ask_contact="📱",
        attachment=Attachment("wizyta.ics", b"BEGIN:VCALENDAR", "text/calendar"),
    )

    assert render(reply) == ["Twoja wizyta"]


def test_an_attachment_with_a_link_is_sent_as_the_link() -> None:
    url = "https://clinic.example/calendar/7-1796200000-abc.ics"
    reply = Reply(
        "Twoja wizyta",
        attachment=Attachment("wizyta.ics", b"BEGIN:VCALENDAR", "text/calendar", url=url),
    )

    assert render(reply) == [f"Twoja wizyta\n\n{url}"]


def test_a_long_reply_is_split_under_twilios_limit_keeping_every_line() -> None:
    lines = [f"{n:03}. Dr Anna Nowak, wtorek 1 grudnia, 10:{n % 60:02}" for n in range(80)]
    buttons = tuple((Button(f"Termin {n}", f"s:{n}"),) for n in range(1, 10))
    bodies = render(Reply("\n".join(lines), buttons))

    assert len(bodies) > 1
    assert all(units(body) <= MAX_BODY_UNITS for body in bodies)
    joined = "\n".join(bodies)
    assert all(line in joined for line in lines)
    assert bodies[-1].endswith("9. Termin 9\n\n↩️ 1–9")


def test_an_overlong_line_is_cut_at_spaces_and_emoji_count_double() -> None:
    words = ["słowo👍"] * 600  # 8 UTF-16 units each, 4799 units with the spaces

    bodies = split(" ".join(words), limit=MAX_BODY_UNITS)

    assert all(units(body) <= MAX_BODY_UNITS for body in bodies)
    assert " ".join(bodies).split() == words


def test_a_line_without_spaces_is_cut_hard() -> None:
    bodies = split("x" * 3500, limit=MAX_BODY_UNITS)

    assert [len(b) for b in bodies] == [1600, 1600, 300]
