"""Twilio's voice webhooks' gate and replays (ivr/routes.py), on SQLite and PostgreSQL:
unsigned or forged requests refused, dark without Twilio's settings, malformed requests,
retried webhooks answered alike and acted on once, a queue webhook for an unknown call."""

from __future__ import annotations

from sqlalchemy import func, select

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, Call, CallbackRequest
from testkit.factories import adult
from testkit.fakes.twilio import call_sid, sign, voice_call
from testkit.ivr import BORN, CALLER, Client, MakeClient, rows
from testkit.phone import PUBLIC, Phone


async def test_unsigned_or_forged_requests_are_refused_and_nothing_is_recorded(
    client: Client, db: Database
) -> None:
    form = voice_call(call_sid())
    for headers in (
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        {"X-Twilio-Signature": sign("http://localhost/twilio/voice", form)},  # not the public URL
        {"X-Twilio-Signature": sign(PUBLIC + "/twilio/voice", form, auth_token="x" * 32)},
    ):
        for path in ("/twilio/voice", "/twilio/voice/input?n=1", "/twilio/voice/status"):
            response = await client.post(path, data=form, headers=headers)
            assert response.status == 403, path
    tampered = {**form, "From": "+48501000001"}
    response = await client.post(
        "/twilio/voice",
        data=tampered,
        headers={"X-Twilio-Signature": sign(PUBLIC + "/twilio/voice", form)},
    )
    assert response.status == 403
    assert await rows(db, Call) == []


async def test_without_twilio_settings_the_webhooks_are_dark(make_client: MakeClient) -> None:
    client = await make_client(twilio_auth_token=None)
    form = voice_call(call_sid())
    response = await client.post(
        "/twilio/voice",
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC + "/twilio/voice", form)},
    )
    assert response.status == 404


async def test_a_malformed_signed_request_is_a_bad_request(client: Client, db: Database) -> None:
    form = voice_call("not a sid!")
    response = await client.post(
        "/twilio/voice",
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC + "/twilio/voice", form)},
    )
    assert response.status == 400
    assert await rows(db, Call) == []


async def test_a_retried_webhook_gets_the_same_answer_and_acts_once(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    first = await phone.dial()
    again = await phone.post("/twilio/voice")
    assert [v.tag for v in again] == [v.tag for v in first]
    for key in ("1", BORN, "1", "1", "1"):
        await phone.press(key)
    confirm_action = phone.gather().get("action") or ""
    await phone.press("1")
    booked = phone.said()
    replay = await phone.post(confirm_action, Digits="1")
    assert " ".join(s.text or "" for s in replay.iter("Say")) == booked
    assert len(await rows(db, Booking)) == 1
    async with db.read() as session:
        calls = await session.scalar(select(func.count()).select_from(Call))
    assert calls == 1


async def test_a_queue_webhook_for_a_call_we_never_answered_waits_in_silence(
    client: Client, db: Database
) -> None:
    phone = Phone(client)
    wait = await phone.post("/twilio/voice/queue/wait", QueuePosition="1", QueueTime="5")
    assert [v.tag for v in wait] == ["Pause"]
    done = await phone.post("/twilio/voice/queue/done", QueueResult="hangup")
    assert list(done) == []
    await phone.hang_up()
    assert await rows(db, Call) == []
    assert await rows(db, CallbackRequest) == []
