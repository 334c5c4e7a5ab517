"""The WhatsApp webhook through real HTTP against the fake Twilio, on SQLite and PostgreSQL:
the gate (configured, signature over the public URL, fields, size), redeliveries, and the
replies' delivery through Twilio's failures."""

from __future__ import annotations

import logging
from xml.etree import ElementTree

import pytest

from bot.chat import Incoming, Reply
from bot.whatsapp.routes import PATH
from core.db.database import Database
from core.vocab import Channel
from testkit.chat import Recording
from testkit.fakes.twilio import (
    PATIENT,
    SENDER,
    FakeTwilio,
    inbound_whatsapp,
    server_error,
    sign,
    throttled,
)
from testkit.whatsapp_face import (
    PUBLIC,
    Client,
    MakeClient,
    Sleeps,
    inbound_rows,
    our_logs,
    post,
    seen,
)


class ExplodingOnce(Recording):
    async def handle(self, incoming: Incoming) -> list[Reply]:
        if not self.seen:
            self.seen.append(incoming)
            async with self.services.conversations.turn(
                incoming.channel, incoming.chat_id, incoming.delivery_id
            ):
                pass  # the delivery recorded, as a real turn records it before it fails
            raise RuntimeError("the dialog broke")
        return await super().handle(incoming)


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
