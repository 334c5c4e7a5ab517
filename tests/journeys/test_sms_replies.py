"""Text messages to the clinic's number, through the signed webhook and the fake Twilio:
a reply to a two-way reminder confirms or cancels that visit only, a reply to an old or
foreign message changes nothing, STOP keeps the next reminder from being sent, and hostile
requests store nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.actors import Actor
from core.booking.service import BookingService
from core.messaging import consent
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.models import BookingLink, InboundMessage, MessagingConsent
from core.vocab import BookingStatus, Channel
from frontdesk.app import create_app
from frontdesk.keys import SERVICES
from frontdesk.settings import load_settings
from testkit.factories import adult
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, inbound_sms, sign, sms_to
from testkit.messengers import PUBLIC
from testkit.reminders import book_visit
from testkit.texting import PATH, dispatch_sms, evening_before, text

ANNA = "+48501000001"  # adult(n=1)'s phone


@pytest.fixture
async def client(aiohttp_client, database_url, clock, twilio, clinic):
    settings = load_settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_sms_from=SMS_SENDER,
        twilio_api_base=twilio.base_url,
        run_worker_in_process=False,
    )
    return await aiohttp_client(create_app(settings, clock=clock))


@pytest.fixture
async def reminded(db, clock, twilio, clinic, client):
    """Anna's Wednesday visit, and the day-before reminder texted to her on Tuesday."""
    day_before = replace(default_rules()[0], templates={"pl": "{{ clinic }}: {{ time }}."})
    await ReminderRules(db, clock).add(day_before)
    patient = await adult(db, clock, 1)
    booking = await book_visit(db, clock, clinic, patient)
    evening_before(clock)
    assert (await dispatch_sms(db, clock, twilio)).sent == 1
    [sent] = sms_to(twilio, ANNA)
    assert "TAK" in sent
    assert "NIE" in sent
    return booking


async def _status(db, clock, booking_id):
    return (await BookingService(db, clock).get(booking_id)).status


async def test_a_reply_confirms_the_visit_it_answers(db, clock, client, reminded):
    answer = await text(client, "Tak", ANNA)
    assert await _status(db, clock, reminded.id) is BookingStatus.CONFIRMED
    [said] = answer.messages
    assert "08:00" in said  # what was done, to the card's own number


async def test_a_reply_cancels_the_visit_it_answers_and_says_whom_to_call(
    db, clock, client, reminded
):
    answer = await text(client, "nie.", ANNA)
    assert await _status(db, clock, reminded.id) is BookingStatus.CANCELLED
    [said] = answer.messages
    assert "+48221000000" in said
    assert "08:00" in said


async def test_a_retried_delivery_acts_once(db, clock, client, reminded):
    sid = "SM" + "ab" * 16
    first = await text(client, "TAK", ANNA, message_sid=sid)
    again = await text(client, "NIE", ANNA, message_sid=sid)  # the same delivery
    assert (len(first.messages), again.messages) == (1, [])
    assert await _status(db, clock, reminded.id) is BookingStatus.CONFIRMED


async def test_a_reply_to_a_message_about_a_moved_visit_changes_nothing(
    db, clock, client, reminded, clinic
):
    later = reminded.start_at + timedelta(minutes=15)
    await BookingService(db, clock).reschedule(
        Actor.staff("desk"), reminded.id, doctor_id=reminded.doctor_id, start_at=later
    )
    answer = await text(client, "NIE", ANNA)
    assert await _status(db, clock, reminded.id) is BookingStatus.BOOKED
    [said] = answer.messages
    assert "08:00" not in said
    assert "08:15" not in said


async def test_a_reply_after_the_visit_began_changes_nothing(db, clock, client, reminded):
    clock.advance(timedelta(days=1))
    await text(client, "NIE", ANNA)
    assert await _status(db, clock, reminded.id) is BookingStatus.BOOKED


async def test_a_number_never_texted_changes_nothing_and_hears_nothing(db, clock, client, reminded):
    stranger = await text(client, "NIE", "+48501000002")
    assert stranger.messages == []
    assert await _status(db, clock, reminded.id) is BookingStatus.BOOKED


async def test_stop_then_the_next_reminder_is_not_sent(db, clock, twilio, client, clinic):
    await ReminderRules(db, clock).add(default_rules()[0])
    patient = await adult(db, clock, 1)
    booking = await book_visit(db, clock, clinic, patient)
    for word in ("STOP", "СТОП"):
        answer = await text(client, word, ANNA)
        [said] = answer.messages
        assert "START" in said
    evening_before(clock)
    report = await dispatch_sms(db, clock, twilio)
    assert (report.sent, report.skipped) == (0, 1)
    assert sms_to(twilio, ANNA) == []
    async with db.read() as session:
        said = (await session.execute(select(MessagingConsent))).scalars().all()
    assert [(c.channel, c.address, c.stopped) for c in said] == [(Channel.SMS, ANNA, True)] * 2
    assert await _status(db, clock, booking.id) is BookingStatus.BOOKED
    # START: the number's newest word, so its messages go again.
    await text(client, "start", ANNA)
    async with db.read() as session:
        assert await consent.stopped(session, [(Channel.SMS, ANNA)]) == set()


@pytest.mark.parametrize("word", ["POMOC", "help", "Допомога", "помощь"])
async def test_help_is_answered_in_the_language_it_was_asked(client, word):
    answer = await text(client, word, "+48501000099")
    [said] = answer.messages
    assert "+48221000000" in said


async def _inbound_count(db):
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(InboundMessage))).scalar()


async def test_unsigned_forged_and_garbage_requests_store_nothing(db, clock, client, reminded):
    form = inbound_sms("NIE", number=ANNA)
    unsigned = await client.post(PATH, data=form)
    forged = await client.post(
        PATH, data=form, headers={"X-Twilio-Signature": sign(PUBLIC + PATH, form, "x" * 32)}
    )
    assert (unsigned.status, forged.status) == (403, 403)
    for bad in (
        {"MessageSid": "nope"},
        {"From": "Robert'); DROP TABLE patient;--"},
        {"Body": "NIE " * 401},
    ):
        fields = {**form, **bad}
        signed = {"X-Twilio-Signature": sign(PUBLIC + PATH, fields)}
        assert (await client.post(PATH, data=fields, headers=signed)).status == 400
    huge = await client.post(PATH, data={**form, "Body": "x" * 200_000})
    assert huge.status == 413
    garbage = await client.post(
        PATH,
        data=b"\xff\xfe\x00garbage",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbage.status in (400, 403)
    assert await _inbound_count(db) == 0
    assert await _status(db, clock, reminded.id) is BookingStatus.BOOKED


async def test_move_sends_a_link_that_moves_that_visit(db, clock, client, reminded, twilio):
    answer = await text(client, "ZMIEŃ", ANNA)
    assert answer.messages  # told a link is on its way
    assert await _status(db, clock, reminded.id) is BookingStatus.BOOKED  # until it is used
    async with db.read() as session:
        [link] = (await session.execute(select(BookingLink))).scalars()
    assert (link.moves_booking_id, link.patient_id) == (reminded.id, reminded.patient_id)
    signer = client.server.app[SERVICES].booking_links.signer
    assert (await dispatch_sms(db, clock, twilio, signer)).sent == 1
    assert "/b/" in sms_to(twilio, ANNA)[-1]
