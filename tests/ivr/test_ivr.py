"""The phone menu end to end, on SQLite and PostgreSQL: calls walked as Twilio walks them
(testkit/phone.py: signed posts, every TwiML parsed, Gather actions and Redirects followed),
the database checked after each call, the SMS confirmation through the fake Twilio."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import func, select, text
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.calls.callbacks import CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, BookingChange, Call, CallbackRequest, Hold, Patient, StaffTask
from core.vocab import (
    BookingStatus,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallOutcome,
    Channel,
    CommunicationStatus,
    TaskKind,
)
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from ivr.keys import IVR
from ivr.sms import SmsConfirmations
from testkit.factories import SmallClinic, adult, small_clinic
from testkit.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    SMS_SENDER,
    VOICE_NUMBER,
    FakeTwilio,
    call_sid,
    sign,
    sms_to,
    voice_call,
)
from testkit.phone import PUBLIC, Phone
from testkit.staff_desk import ADMIN

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
CALLER = "+48501000001"  # the phone of tests.factories.adult(n=1), born 1 May 1980
BORN = "01051980"


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeTwilio:
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> SmallClinic:
    return await small_clinic(db, clock, days=14)


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient,
    database_url: str,
    clock: FrozenClock,
    fake: FakeTwilio,
    clinic: SmallClinic,
) -> MakeClient:
    async def make(**overrides: Any) -> Client:
        config: dict[str, Any] = {
            "database_url": database_url,
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_whatsapp_from": SENDER,
            "twilio_sms_from": SMS_SENDER,
            "twilio_api_base": fake.base_url,
            "run_worker_in_process": False,
            **overrides,
        }
        return await aiohttp_client(create_app(load_settings(**config), clock=clock))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


async def rows(db: Database, model: type[Any], *where: Any) -> list[Any]:
    async with db.read() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def the_call(db: Database, phone: Phone) -> Call:
    (call,) = await rows(db, Call, col(Call.call_sid) == phone.sid)
    assert isinstance(call, Call)
    return call


async def drain_sms(client: Client) -> None:
    confirmations = client.app[IVR].services.confirmations
    assert isinstance(confirmations, SmsConfirmations)
    await confirmations.drain()


def assert_prompt(phone: Phone, *, listens: str = "dtmf speech") -> None:
    """A prompt: what is said, a Gather that posts back, and a Redirect for silence."""
    assert phone.verbs()[-2:] == ["Gather", "Redirect"], phone.verbs()
    gather = phone.gather()
    assert gather.get("input") == listens
    assert gather.get("method") == "POST"
    assert gather.get("action") == phone.twiml.findtext("Redirect")
    assert gather.find("Say") is not None or phone.twiml.find("Say") is not None


# -- booking ------------------------------------------------------------------------------------


async def test_a_known_caller_books_by_keypad_and_gets_an_sms(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic, fake: FakeTwilio
) -> None:
    patient_id = await adult(db, clock)
    phone = Phone(client, caller=CALLER)

    await phone.dial()
    assert_prompt(phone)
    assert phone.verbs()[:2] == ["Say", "Say"]
    greeting = phone.said()
    assert "Przychodnia Testowa" in greeting
    assert "Mokotów" in greeting
    assert "ul. Puławska 1" in greeting
    assert "08:00" in greeting
    assert "18:00" in greeting
    say = phone.twiml.find("Say")
    assert say is not None
    assert say.get("voice") == "Polly.Ewa"
    assert say.get("language") == "pl-PL"
    assert phone.gather().get("language") == "pl-PL"
    assert "Choroby wewnętrzne" not in (phone.gather().get("hints") or "")

    await phone.press("1")  # book: the caller ID is known, the date of birth confirms it
    assert_prompt(phone, listens="dtmf")
    assert phone.gather().get("numDigits") == "8"
    await phone.press(BORN)
    assert_prompt(phone)
    assert "Choroby wewnętrzne" in phone.said()
    assert "Pediatria" in phone.said()
    assert "Anna Kowalska" in (phone.gather().get("hints") or "")
    await phone.press("1")  # internal medicine: two services it can book by phone
    assert "Konsultacja rozszerzona" in phone.said()
    assert "USG" not in phone.said()  # needs a referral: the desk books it
    await phone.press("1")  # a consultation

    assert "wtorek, 1 grudnia o 08:00, doktor Anna Kowalska" in phone.said()
    (hold,) = await rows(db, Hold)  # the offered time is kept for this caller
    assert hold.start_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    await phone.press("2")  # the next one
    assert "08:15" in phone.said()
    (hold,) = await rows(db, Hold)  # the first time was given back
    assert hold.start_at == datetime(2026, 12, 1, 7, 15, tzinfo=UTC)
    await phone.press("1")  # take it
    assert "Konsultacja" in phone.said()
    await phone.press("1")  # confirm
    assert "zarezerwowana" in phone.said()
    assert_prompt(phone)  # back in the main menu: never a dead end

    (booking,) = await rows(db, Booking)
    assert booking.patient_id == patient_id
    assert booking.source is Channel.VOICE
    assert booking.start_at == datetime(2026, 12, 1, 7, 15, tzinfo=UTC)
    assert booking.service_id == clinic.consult.id
    assert await rows(db, Hold) == []
    await drain_sms(client)
    (sms,) = sms_to(fake, CALLER)
    assert "Przychodnia Testowa" in sms
    assert "1 grudnia 2026, 08:15" in sms
    assert "Puławska 1" in sms
    (booking,) = await rows(db, Booking)
    assert booking.communication_status is CommunicationStatus.CONFIRMATION_SENT

    await phone.hang_up(duration=95)
    call = await the_call(db, phone)
    assert call.outcome is CallOutcome.BOOKED
    assert call.booking_id == booking.id
    assert call.patient_id == patient_id
    assert call.duration_seconds == 95
    assert call.ended_at == clock.now()
    assert call.path[:7] == ["menu", "dob", "pick", "service", "offer", "confirm", "menu"]


async def test_a_caller_books_by_speech_in_english(
    make_client: MakeClient, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    client = await make_client(ivr_languages={VOICE_NUMBER: "en"})
    patient_id = await adult(db, clock)
    phone = Phone(client, caller=CALLER)

    await phone.dial()
    say = phone.twiml.find("Say")
    assert say is not None
    assert say.get("voice") == "Polly.Amy"
    assert say.get("language") == "en-GB"
    assert "Welcome to Przychodnia Testowa" in phone.said()
    switches = {s.get("language"): s.text for s in phone.gather().iter("Say")}
    assert "Polly.Tatyana" in [s.get("voice") for s in phone.gather().iter("Say")]
    assert switches["uk-UA"]
    assert "7" in switches["uk-UA"]

    await phone.say("I would like to book an appointment")
    await phone.press(BORN)
    await phone.say("doctor Kowalska please")
    assert "Which visit?" in phone.said()
    await phone.say("konsultacja")
    assert "Tuesday, the 1st of December at 08:00, doctor Anna Kowalska" in phone.said()
    await phone.say("yes")
    assert "You are booking Konsultacja" in phone.said()
    await phone.say("yes please")
    assert "Your visit is booked" in phone.said()

    (booking,) = await rows(db, Booking)
    assert booking.patient_id == patient_id
    assert booking.doctor_id == clinic.internist.id
    assert (await the_call(db, phone)).outcome is CallOutcome.BOOKED


async def test_an_unknown_caller_books_with_a_spoken_name_and_leaves_a_task(
    client: Client, db: Database
) -> None:
    phone = Phone(client, caller="+48601999888")
    await phone.dial()
    await phone.press("1")
    assert_prompt(phone, listens="speech")
    await phone.say("Jan Kowalski")
    await phone.press("12031975")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    assert "zarezerwowana" in phone.said()

    (patient,) = await rows(db, Patient)
    assert (patient.first_name, patient.last_name) == ("Jan", "Kowalski")
    assert patient.needs_verification
    assert patient.birth_date is not None
    (task,) = await rows(db, StaffTask)
    assert task.kind is TaskKind.COMPLETE_CARD
    assert task.patient_id == patient.id
    assert task.phone == "+48601999888"
    assert task.details == {"spoken_name": "Jan Kowalski"}
    (booking,) = await rows(db, Booking)
    assert booking.patient_id == patient.id


async def test_someone_else_taking_the_time_is_said_and_the_next_is_offered(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    for key in ("1", BORN, "1", "1"):
        await phone.press(key)
    await phone.press("3")  # another day: Wednesday 08:00
    assert "środa, 2 grudnia o 08:00" in phone.said()
    await phone.press("1")  # take it; the hold runs out while the caller hesitates
    clock.advance(timedelta(minutes=6))
    other = await adult(db, clock, n=2)
    wednesday = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    await BookingService(db, clock).book(
        Actor.patient(other, Channel.TELEGRAM),
        VisitRequest(other, clinic.consult.id or 0, clinic.internist.id or 0, wednesday),
    )
    await phone.press("1")
    assert "ktoś właśnie zajął" in phone.said()
    assert "środa, 2 grudnia o 08:15" in phone.said()  # the next free time, held anew
    assert_prompt(phone)
    (hold,) = await rows(db, Hold, col(Hold.expires_at) > clock.now())
    assert hold.start_at == wednesday + timedelta(minutes=15)
    assert len(await rows(db, Booking)) == 1


async def test_a_time_one_caller_is_hearing_is_not_offered_to_another(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    await adult(db, clock)
    await adult(db, clock, n=2)
    first, second = Phone(client, caller=CALLER), Phone(client, caller="+48501000002")
    for phone, born in ((first, BORN), (second, "02051980")):
        await phone.dial()
        for key in ("1", born, "1", "1"):
            await phone.press(key)
    assert "o 08:00" in first.said()
    assert "o 08:15" in second.said()  # 08:00 is held for the first caller
    await first.hang_up()  # the first caller leaves: their time is given back at once
    third = Phone(client, caller="+48601999777")
    await third.dial()
    await third.press("1")
    await third.say("Anna Nowak")
    await third.press("03051980")
    await third.press("1")
    await third.press("1")
    assert "o 08:00" in third.said()


# -- my visits -----------------------------------------------------------------------------------


async def _two_visits(
    db: Database, clock: FrozenClock, clinic: SmallClinic
) -> tuple[int, int, int]:
    patient_id = await adult(db, clock)
    booking = BookingService(db, clock)
    actor = Actor.patient(patient_id, Channel.TELEGRAM)
    made = []
    for day in (1, 2):
        start = datetime(2026, 12, 1 + day, 9, 0, tzinfo=UTC)
        visit = await booking.book(
            actor, VisitRequest(patient_id, clinic.consult.id or 0, clinic.internist.id or 0, start)
        )
        made.append(visit.id or 0)
    return patient_id, made[0], made[1]


async def test_a_caller_moves_a_visit(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic, fake: FakeTwilio
) -> None:
    _patient, first, _second = await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press(BORN)
    assert "Wizyta 1 z 2" in phone.said()
    assert "2 grudnia o 10:00" in phone.said()
    await phone.press("1")  # move it: the same doctor's earliest time
    assert "1 grudnia o 08:00" in phone.said()
    await phone.press("1")
    assert "przeniesiona na" in phone.said()
    await phone.press("1")
    assert "przeniesiona" in phone.said()

    moved = await BookingService(db, clock).get(first)
    assert moved.start_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert moved.status is BookingStatus.BOOKED
    (change,) = await rows(
        db,
        BookingChange,
        col(BookingChange.booking_id) == first,
        col(BookingChange.action) == "moved",
    )
    assert change.channel is Channel.VOICE
    assert (await the_call(db, phone)).outcome is CallOutcome.MOVED
    await drain_sms(client)
    (sms,) = sms_to(fake, CALLER)
    assert "1 grudnia 2026, 08:00" in sms


async def test_a_caller_cancels_a_visit(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    _patient, first, second = await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press(BORN)
    await phone.press("3")  # the next visit
    assert "Wizyta 2 z 2" in phone.said()
    assert "3 grudnia" in phone.said()
    await phone.press("2")  # cancel it
    await phone.press("1")  # yes
    assert "odwołana" in phone.said()

    booking = BookingService(db, clock)
    assert (await booking.get(second)).status is BookingStatus.CANCELLED
    assert (await booking.get(second)).cancel_reason == "patient: by phone"
    assert (await booking.get(first)).status is BookingStatus.BOOKED
    assert (await the_call(db, phone)).outcome is CallOutcome.CANCELLED


async def test_a_wrong_date_of_birth_twice_goes_to_the_desk(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await _two_visits(db, clock, clinic)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")
    await phone.press("02051980")
    assert "nie zgadza" in phone.said()
    assert_prompt(phone, listens="dtmf")
    await phone.press("31021980")  # no such date
    assert phone.enqueue().text == f"desk-{clinic.branch.id}"
    assert "Wizyta" not in " ".join(phone.heard)
    assert (await the_call(db, phone)).patient_id is None


# -- prescriptions --------------------------------------------------------------------------------


async def test_a_prescription_request_by_speech_and_by_recording(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("3")
    await phone.press(BORN)
    assert_prompt(phone)
    await phone.say("Metformina 500 miligramów")
    assert "Dziękujemy" in phone.said()
    await phone.press("3")  # again: already identified in this call
    await phone.press("1")  # leave a recording instead
    assert phone.verbs()[-2:] == ["Record", "Redirect"]
    record = phone.twiml.find("Record")
    assert record is not None
    assert record.get("finishOnKey") == "#"
    phone.twiml = await phone.post(
        record.get("action") or "",
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        RecordingDuration="14",
    )
    assert_prompt(phone)

    spoken, recorded = await rows(db, StaffTask)
    assert spoken.kind is recorded.kind is TaskKind.PRESCRIPTION
    assert spoken.patient_id == recorded.patient_id == patient_id
    assert spoken.details["transcript"] == "Metformina 500 miligramów"
    assert recorded.details["recording_url"].endswith("/Recordings/RE1")
    assert (await the_call(db, phone)).outcome is CallOutcome.TASK


# -- timeouts, the desk queue, callbacks -----------------------------------------------------


async def test_a_silent_caller_hears_the_prompt_again_then_simpler_then_the_desk(
    client: Client, db: Database, clinic: SmallClinic
) -> None:
    phone = Phone(client)
    await phone.dial()
    first = phone.gather()
    await phone.silence()
    assert_prompt(phone)
    assert "Przepraszam" in phone.said()
    assert [s.text for s in phone.gather().iter("Say")] == [s.text for s in first.iter("Say")]
    await phone.silence()
    assert_prompt(phone, listens="dtmf")  # simpler: keys only, said one by one
    assert "Naciśnij 1" in phone.said()
    await phone.silence()
    assert phone.verbs()[-1] == "Enqueue"
    enqueue = phone.enqueue()
    assert enqueue.text == f"desk-{clinic.branch.id}"
    assert enqueue.get("waitUrl") == "/twilio/voice/queue/wait"
    assert "rejestracj" in phone.said()

    await phone.leave_queue("hangup")  # gave up waiting: the desk calls back
    (request,) = await rows(db, CallbackRequest)
    assert request.reason is CallbackReason.MISSED
    assert request.phone == "+48501234567"
    await phone.hang_up(duration=120)
    call = await the_call(db, phone)
    assert call.outcome is CallOutcome.ABANDONED
    assert call.duration_seconds == 120


async def test_silence_at_every_prompt_of_a_booking_never_leaves_the_caller_alone(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("1")
    for _ in range(2):
        await phone.silence()
        assert_prompt(phone, listens="dtmf")
        assert phone.gather().get("numDigits") == "8"
    await phone.silence()
    assert phone.verbs()[-1] == "Enqueue"


async def test_a_caller_asks_for_a_callback_when_the_queue_is_long(
    client: Client, db: Database, clinic: SmallClinic
) -> None:
    phone = Phone(client)
    await phone.dial()
    await phone.press("0")
    assert phone.verbs()[-1] == "Enqueue"

    wait = await phone.wait_in_queue(seconds=10, position=3)
    assert [v.tag for v in wait] == ["Say", "Pause"]  # no offer yet
    assert "3" in (wait.findtext("Say") or "")
    wait = await phone.wait_in_queue(seconds=75, position=2)
    assert [v.tag for v in wait] == ["Say", "Gather", "Pause"]
    answer = await phone.press_while_waiting("1")
    assert [v.tag for v in answer] == ["Leave"]
    await phone.leave_queue("leave")
    assert phone.verbs() == ["Say", "Hangup"]
    assert "Oddzwonimy" in phone.said()

    (request,) = await rows(db, CallbackRequest)
    assert request.reason is CallbackReason.QUEUE_LONG
    assert request.calls == 1
    assert request.status is CallbackStatus.OPEN
    assert request.branch_id == clinic.branch.id
    await phone.hang_up()
    assert (await the_call(db, phone)).outcome is CallOutcome.CALLBACK

    again = Phone(client)  # the same number calls again while the request is open
    await again.dial()
    await again.press("0")
    await again.wait_in_queue(seconds=90)
    await again.press_while_waiting("1")
    await again.leave_queue("leave")
    (request,) = await rows(db, CallbackRequest)
    assert request.calls == 2
    assert request.call_sid == again.sid

    await CallbackService(db, FrozenClock(datetime.now(UTC))).done(
        ADMIN, request.id or 0, CallbackOutcome.REACHED
    )
    third = Phone(client)
    await third.dial()
    await third.press("0")
    await third.leave_queue("hangup")
    closed, fresh = await rows(db, CallbackRequest)
    assert closed.status is CallbackStatus.DONE
    assert fresh.status is CallbackStatus.OPEN
    assert fresh.reason is CallbackReason.MISSED
    assert fresh.calls == 1


async def test_a_caller_the_desk_answers_is_recorded_as_such(client: Client, db: Database) -> None:
    phone = Phone(client)
    await phone.dial()
    await phone.press("0")
    await phone.leave_queue("bridged")
    assert phone.verbs() == ["Hangup"]
    assert await rows(db, CallbackRequest) == []
    assert (await the_call(db, phone)).outcome is CallOutcome.DESK


async def test_a_full_queue_offers_a_callback(client: Client, db: Database) -> None:
    phone = Phone(client)
    await phone.dial()
    await phone.press("0")
    await phone.leave_queue("queue-full", seconds=0)
    assert "zajęta" in phone.said()
    assert_prompt(phone)
    await phone.press("1")
    assert phone.verbs() == ["Say", "Hangup"]
    (request,) = await rows(db, CallbackRequest)
    assert request.reason is CallbackReason.DESK_BUSY


async def test_a_call_at_night_is_offered_a_callback_not_the_queue(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 1, 21, 30, tzinfo=UTC))  # 22:30 in Warsaw
    phone = Phone(client)
    await phone.dial()
    assert "Dziś jesteśmy czynni od 08:00 do 18:00" in phone.said()
    await phone.press("0")
    assert "nieczynna" in phone.said()
    assert "środa, 2 grudnia" in phone.said()
    assert "Enqueue" not in phone.verbs()
    assert_prompt(phone)
    await phone.press("1")
    assert phone.verbs() == ["Say", "Hangup"]
    (request,) = await rows(db, CallbackRequest)
    assert request.reason is CallbackReason.AFTER_HOURS
    assert (await the_call(db, phone)).outcome is CallOutcome.CALLBACK


async def test_a_silent_caller_at_night_gets_a_callback_and_a_goodbye(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))  # a Saturday: closed all day
    phone = Phone(client)
    await phone.dial()
    for _ in range(3):
        await phone.silence()
    assert "nieczynna" in phone.said()
    for _ in range(3):
        await phone.silence()
    assert phone.verbs()[-2:] == ["Say", "Hangup"]
    (request,) = await rows(db, CallbackRequest)
    assert request.reason is CallbackReason.AFTER_HOURS


async def test_a_withheld_number_at_night_is_told_when_to_call_and_bidden_goodbye(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 1, 21, 30, tzinfo=UTC))
    phone = Phone(client, caller="anonymous")
    await phone.dial()
    await phone.press("1")  # booking needs a number to find or make a card
    assert phone.verbs()[-1] == "Hangup"
    assert await rows(db, CallbackRequest) == []


# -- the webhook's gate and replays ---------------------------------------------------------


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


async def test_a_failure_inside_the_flow_is_an_apology_in_the_lines_language(
    make_client: MakeClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(ivr_languages={VOICE_NUMBER: "en"})
    phone = Phone(client, caller=CALLER)
    async with db.engine.begin() as conn:  # the calls' table gone: every call fails
        await conn.execute(text("ALTER TABLE call RENAME TO call_gone"))
    try:
        await phone.dial()
    finally:  # PostgreSQL's database serves the next tests
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE call_gone RENAME TO call"))
    assert phone.said() == "Sorry, something went wrong. Please call again in a moment."
    assert phone.verbs()[-1] == "Hangup"
    assert "voice flow failed" in caplog.text
    assert CALLER not in caplog.text
