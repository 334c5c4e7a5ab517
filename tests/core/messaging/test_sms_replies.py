"""What a text message says (`read`) in four languages, and a reply that asks to move its
visit getting a single-use link that moves that visit, queued by SMS to the number."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.booking.service import BookingService
from core.booking.waitlist_offers import WaitlistPolicy
from core.messaging.booking_links import BookingLinks
from core.messaging.link_tokens import LinkSigner
from core.messaging.port import BOOKING_LINK
from core.messaging.reminder_rules import ReminderRules, default_rules
from core.messaging.sms_replies import Did, SmsReplies, Word, read
from core.models import BookingLink, Notification
from core.patients.cards import PatientService
from core.vocab import Channel, LinkOrigin
from testkit.factories import adult, small_clinic
from testkit.reminders import book_visit
from testkit.texting import dispatch_sms, evening_before


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("Tak", (Word.CONFIRM, "pl")),
        ("  tak, będę", (Word.CONFIRM, "pl")),
        ("так", (Word.CONFIRM, "uk")),
        ("Да!", (Word.CONFIRM, "ru")),
        ("yes", (Word.CONFIRM, "en")),
        ("NIE.", (Word.CANCEL, "pl")),
        ("Odwołaj", (Word.CANCEL, "pl")),
        ("ні", (Word.CANCEL, "uk")),
        ("отмена", (Word.CANCEL, "ru")),
        ("Zmień", (Word.MOVE, "pl")),
        ("zmien termin", (Word.MOVE, "pl")),
        ("перенести", (Word.MOVE, None)),  # Ukrainian and Russian alike
        ("stop", (Word.STOP, None)),
        ("Стоп", (Word.STOP, None)),
        ("START", (Word.START, None)),
        ("pomoc", (Word.HELP, "pl")),
        ("допомога", (Word.HELP, "uk")),
        ("помощь", (Word.HELP, "ru")),
        ("", (Word.OTHER, None)),
        ("\x00\u202e' OR 1=1 --", (Word.OTHER, None)),
        ("Dzień dobry, czy mogę przyjść później?", (Word.OTHER, None)),
    ],
)
def test_what_a_message_says(body, said):
    assert read(body) == said


async def test_move_sends_a_link_that_moves_that_visit(db, clock, twilio):
    c = await small_clinic(db, clock, days=3)
    await ReminderRules(db, clock).add(replace(default_rules()[0], templates={"pl": "{{ time }}"}))
    patient = await adult(db, clock, 1)
    visit = await book_visit(db, clock, c, patient)
    evening_before(clock)
    assert (await dispatch_sms(db, clock, twilio)).sent == 1
    booking = BookingService(db, clock)
    links = BookingLinks(
        db,
        clock,
        LinkSigner(b"s" * 32, "https://clinic.example/"),
        booking,
        PatientService(db, clock),
    )
    replies = SmsReplies(db, clock, WaitlistPolicy(), links)
    answer = await replies.handle("+48501000001", "SM" + "cd" * 16, "Zmień")
    assert answer is not None
    assert answer.did is Did.MOVE_LINK
    async with db.read() as session:
        [link] = (await session.execute(select(BookingLink))).scalars()
        queued = (
            await session.execute(select(Notification).where(Notification.topic == BOOKING_LINK))
        ).scalar_one()
    assert (link.moves_booking_id, link.patient_id, link.origin) == (
        visit.id,
        patient,
        LinkOrigin.REPLY,
    )
    assert link.service_ids == [visit.service_id]
    assert (queued.to_channel, queued.to_address) == (Channel.SMS, "+48501000001")
