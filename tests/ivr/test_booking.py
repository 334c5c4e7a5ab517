"""Booking by phone end to end (ivr/booking.py), on SQLite and PostgreSQL: calls walked as
Twilio walks them (testkit/phone.py), by keypad and by speech, a time taken meanwhile or
held for another caller, the database checked after each call and the SMS confirmation
through the fake Twilio."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, Hold
from core.vocab import CallOutcome, Channel, CommunicationStatus
from testkit.factories import SmallClinic, adult
from testkit.fakes.twilio import VOICE_NUMBER, FakeTwilio, sms_to
from testkit.ivr import BORN, CALLER, Client, MakeClient, assert_prompt, drain_sms, rows, the_call
from testkit.phone import Phone


async def test_a_known_caller_books_by_keypad_and_gets_an_sms(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic, fake: FakeTwilio
) -> None:
    patient_id = await adult(db, clock)
    phone = Phone(client, caller=CALLER)

    await phone.dial()
    assert_prompt(phone)
    assert phone.verbs() == ["Gather", "Redirect"]  # the greeting too can be interrupted
    greeting = phone.said()
    assert "Przychodnia Testowa" in greeting
    assert "Mokotów" in greeting
    assert "ul. Puławska 1" not in greeting  # short: open now, hours and address under 4
    assert "08:00" not in greeting
    say = phone.gather().find("Say")
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
    say = phone.gather().find("Say")
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
    assert "Booking Konsultacja" in phone.said()
    await phone.say("yes please")
    assert "Your visit is booked" in phone.said()

    (booking,) = await rows(db, Booking)
    assert booking.patient_id == patient_id
    assert booking.doctor_id == clinic.internist.id
    assert (await the_call(db, phone)).outcome is CallOutcome.BOOKED


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
