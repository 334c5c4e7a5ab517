"""Single-use booking links (core/messaging/booking_links.py), on SQLite and PostgreSQL:
a link books once (also when two uses race), expires, refuses a forged or altered token,
keeps to the services and doctors it offers, stays unspent when its time was taken
meanwhile, makes a card for a phone without one, moves the visit it names, and goes out
once through the dispatcher with its URL signed again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import BookingLinkInvalid, InvalidInput, SlotTaken
from core.messaging import consent
from core.messaging.booking_links import BookingLinks, Newcomer, Recipient
from core.messaging.link_tokens import LinkSigner
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.models import BookingLink, Conversation, RecallCampaign
from core.patients.cards import PatientService
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import BookingStatus, Channel, LinkOrigin
from testkit.factories import adult, small_clinic
from tests.core.messaging.test_notifications import Recorder

SECRET = b"booking-link-test-secret"


def _links(db, clock) -> BookingLinks:
    return BookingLinks(
        db,
        clock,
        LinkSigner(SECRET, "https://clinic.example/"),
        BookingService(db, clock),
        PatientService(db, clock),
    )


async def _first_times(db, clock, service_id, n=2):
    return await SlotSearch(db, clock).find(SlotQuery(Channel.WEB, service_id=service_id, limit=n))


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


async def test_a_link_books_once_and_no_more(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient = await adult(db, clock)
    links = _links(db, clock)
    issued = await links.issue(
        origin=LinkOrigin.CARD, created_by="anna", patient_id=patient, service_ids=[c.consult.id]
    )
    assert issued.url.startswith("https://clinic.example/b/")
    link_id, signature = _token(issued.url).split("-", 1)  # nothing of the patient's
    assert (int(link_id), len(signature)) == (issued.link_id, 27)
    assert issued.expires_at == clock.now() + timedelta(days=7)
    first, second = await _first_times(db, clock, c.consult.id)
    token = _token(issued.url)
    view = await links.open(token)
    assert view.service_ids == (c.consult.id,)
    assert view.known_patient
    booking = await links.book(
        token, service_id=c.consult.id, doctor_id=first.doctor_id, start_at=first.start_at
    )
    assert booking.patient_id == patient
    assert booking.source is Channel.WEB
    with pytest.raises(BookingLinkInvalid) as used:
        await links.book(
            token, service_id=c.consult.id, doctor_id=second.doctor_id, start_at=second.start_at
        )
    assert used.value.reason == "used"
    with pytest.raises(BookingLinkInvalid):
        await links.open(token)


async def test_two_uses_at_once_make_one_visit(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient = await adult(db, clock)
    links = _links(db, clock)
    issued = await links.issue(origin=LinkOrigin.CARD, created_by="anna", patient_id=patient)
    first, second = await _first_times(db, clock, c.consult.id)
    token = _token(issued.url)
    results = await asyncio.gather(
        *(
            links.book(token, service_id=c.consult.id, doctor_id=t.doctor_id, start_at=t.start_at)
            for t in (first, second)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, BookingLinkInvalid) for r in results if isinstance(r, Exception))
    assert len(await BookingService(db, clock).upcoming(patient)) == 1


async def test_an_expired_link_is_refused(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient = await adult(db, clock)
    links = _links(db, clock)
    issued = await links.issue(
        origin=LinkOrigin.CARD, created_by="anna", patient_id=patient, ttl=timedelta(hours=1)
    )
    (first,) = await _first_times(db, clock, c.consult.id, 1)
    clock.advance(timedelta(hours=1))
    with pytest.raises(BookingLinkInvalid) as expired:
        await links.book(
            _token(issued.url),
            service_id=c.consult.id,
            doctor_id=first.doctor_id,
            start_at=first.start_at,
        )
    assert expired.value.reason == "expired"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: str(int(t.split("-")[0]) + 1) + "-" + t.split("-", 1)[1],  # another id
        lambda t: "1-" + "A" * 27,
        lambda t: "../../etc/passwd",
        lambda t: "",
    ],
)
async def test_a_forged_token_is_refused(db, clock, mangle):
    await small_clinic(db, clock, days=1)
    patient = await adult(db, clock)
    links = _links(db, clock)
    issued = await links.issue(origin=LinkOrigin.CARD, created_by="anna", patient_id=patient)
    with pytest.raises(BookingLinkInvalid) as forged:
        await links.open(mangle(_token(issued.url)))
    assert forged.value.reason == "forged"


async def test_a_link_keeps_to_what_it_offers(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient = await adult(db, clock)
    links = _links(db, clock)
    issued = await links.issue(
        origin=LinkOrigin.CARD,
        created_by="anna",
        patient_id=patient,
        doctor_ids=[c.paediatrician.id],
    )
    (first,) = await _first_times(db, clock, c.consult.id, 1)
    with pytest.raises(InvalidInput):
        await links.book(
            _token(issued.url),
            service_id=c.consult.id,
            doctor_id=c.internist.id,
            start_at=first.start_at,
        )


async def test_a_time_taken_meanwhile_leaves_the_link_unspent(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient, other = await adult(db, clock, 1), await adult(db, clock, 2)
    links = _links(db, clock)
    issued = await links.issue(origin=LinkOrigin.CARD, created_by="anna", patient_id=patient)
    first, second = await _first_times(db, clock, c.consult.id)
    await BookingService(db, clock).book(
        Actor.staff("desk"), VisitRequest(other, c.consult.id, first.doctor_id, first.start_at)
    )
    token = _token(issued.url)
    with pytest.raises(SlotTaken):
        await links.book(
            token, service_id=c.consult.id, doctor_id=first.doctor_id, start_at=first.start_at
        )
    await links.open(token)  # still good
    booking = await links.book(
        token, service_id=c.consult.id, doctor_id=second.doctor_id, start_at=second.start_at
    )
    assert booking.patient_id == patient


async def test_a_phone_without_a_card_gets_one_from_the_names_given(db, clock):
    c = await small_clinic(db, clock, days=3)
    links = _links(db, clock)
    issued = await links.issue(origin=LinkOrigin.CALL, created_by="ivr", phone="+48 600 100 200")
    token = _token(issued.url)
    assert not (await links.open(token)).known_patient
    (first,) = await _first_times(db, clock, c.consult.id, 1)
    with pytest.raises(InvalidInput):
        await links.book(
            token, service_id=c.consult.id, doctor_id=first.doctor_id, start_at=first.start_at
        )
    booking = await links.book(
        token,
        service_id=c.consult.id,
        doctor_id=first.doctor_id,
        start_at=first.start_at,
        newcomer=Newcomer("Jan", "Nowak"),
    )
    card = await PatientService(db, clock).get(booking.patient_id)
    assert (card.first_name, card.last_name, card.needs_verification) == ("Jan", "Nowak", True)


async def test_a_link_that_moves_a_visit_moves_it(db, clock):
    c = await small_clinic(db, clock, days=3)
    patient = await adult(db, clock)
    first, second = await _first_times(db, clock, c.consult.id)
    service = BookingService(db, clock)
    visit = await service.book(
        Actor.patient(patient, Channel.WEB),
        VisitRequest(patient, c.consult.id, first.doctor_id, first.start_at),
    )
    links = _links(db, clock)
    issued = await links.issue(
        origin=LinkOrigin.REPLY,
        created_by="sms",
        patient_id=patient,
        service_ids=[c.consult.id],
        moves_booking_id=visit.id,
    )
    moved = await links.book(
        _token(issued.url),
        service_id=c.consult.id,
        doctor_id=second.doctor_id,
        start_at=second.start_at,
    )
    assert moved.id == visit.id
    assert moved.start_at == second.start_at
    assert moved.status is BookingStatus.BOOKED


async def test_the_link_goes_out_once_by_the_channel_the_number_chats_on(db, clock):
    await small_clinic(db, clock, days=1)
    patient = await adult(db, clock)
    links = _links(db, clock)
    assert await links.channel_for("+48 501 000 001") is Channel.SMS

    async def chat(session):
        session.add(
            Conversation(
                channel=Channel.WHATSAPP,
                chat_id="+48501000001",
                last_inbound_at=clock.now() - timedelta(hours=2),
                updated_at=clock.now(),
            )
        )

    await db.write(chat)
    assert await links.channel_for("501000001") is Channel.WHATSAPP
    issued = await links.issue(origin=LinkOrigin.CARD, created_by="anna", patient_id=patient)
    assert await links.send(issued.link_id, Channel.SMS, "+48501000001")
    assert not await links.send(issued.link_id, Channel.SMS, "+48501000001")
    sms = Recorder()
    dispatcher = Dispatcher(
        db,
        clock,
        {Channel.SMS: sms},
        "w",
        DeliveryPolicy(),
        links=LinkSigner(SECRET, "https://clinic.example"),
    )
    assert (await dispatcher.run_once()).sent == 1
    ((address, message),) = sms.sent
    assert address == "+48501000001"
    assert message.params["url"] == issued.url
    assert message.language == "pl"

    async def read(session):
        return await session.get(BookingLink, issued.link_id)

    assert (await db.write(read)).used_at is None


async def test_a_recall_campaign_skips_a_number_that_said_stop(db, clock):
    """A recall link is the desk's offer, not the patient's request: a number that sent
    STOP is skipped. A link the patient asked for (on a call, from the desk) still goes."""
    await small_clinic(db, clock, days=1)
    links = _links(db, clock)
    stopped, willing = "+48501000001", "+48501000002"

    async def setup(session):
        consent.record(session, Channel.SMS, stopped, stopped=True, keyword="STOP", at=clock.now())
        campaign = RecallCampaign(name="Bilans", created_by="anna", created_at=clock.now())
        session.add(campaign)
        await session.flush()
        return campaign.id

    campaign_id = await db.write(setup)
    recipients = [Recipient(stopped), Recipient(willing)]
    assert await links.issue_many(recipients, campaign_id=campaign_id, created_by="anna") == 2
    asked = await links.issue(origin=LinkOrigin.CALLBACK, created_by="anna", phone=stopped)
    assert await links.send(asked.link_id, Channel.SMS, stopped)
    sms = Recorder()
    dispatcher = Dispatcher(
        db,
        clock,
        {Channel.SMS: sms},
        "w",
        DeliveryPolicy(),
        links=LinkSigner(SECRET, "https://clinic.example"),
    )
    report = await dispatcher.run_once()
    assert (report.sent, report.skipped) == (2, 1)
    sent = sorted((address, message.params["url"] == asked.url) for address, message in sms.sent)
    assert sent == [(stopped, True), (willing, False)]
