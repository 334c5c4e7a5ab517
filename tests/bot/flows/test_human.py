"""Talking to a person (bot/flows/human.py): the case belongs to the branch the patient
chose, else to their last visit's; outside opening hours the patient is told when the
desk answers."""

from __future__ import annotations

from datetime import UTC, datetime

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.messaging.escalation import EscalationService
from core.patients.linking import LinkingService
from core.vocab import Channel
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import adult, small_clinic

SATURDAY_NOON = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


async def test_outside_opening_hours_the_patient_hears_when_the_desk_answers(db, clock):
    await small_clinic(db, clock)
    clock.set(SATURDAY_NOON)
    chat = Chat(make_dialog(db, clock), chat_id="71", language="en")
    await chat.send("/start")
    await chat.send(payload="m:human")
    assert "The desk is closed now: it answers from Monday, 7 December 2026, 08:00." in chat.text


async def test_during_opening_hours_nothing_is_said_of_them(db, clock):
    await small_clinic(db, clock)  # Tuesday 08:00 in Warsaw: open
    chat = Chat(make_dialog(db, clock), chat_id="72", language="en")
    await chat.send("/start")
    await chat.send(payload="m:human")
    assert "registration desk" in chat.text
    assert "closed" not in chat.text


async def test_a_linked_patient_s_case_belongs_to_their_last_visit_s_branch(db, clock):
    c = await small_clinic(db, clock)
    patient = await adult(db, clock)
    assert c.consult.id is not None
    assert c.internist.id is not None
    await BookingService(db, clock).book(
        Actor.staff("setup"),
        VisitRequest(patient, c.consult.id, c.internist.id, datetime(2026, 12, 2, 7, tzinfo=UTC)),
    )
    chat = Chat(make_dialog(db, clock), chat_id="73", language="en")
    linking = LinkingService(db, clock, SECRET)
    await linking.redeem(Channel.TELEGRAM, "73", (await linking.issue(patient)).code)
    await chat.send("/start")
    await chat.send(payload="m:human")
    case = await EscalationService(db, clock).active(Channel.TELEGRAM, "73")
    assert case is not None
    assert (case.patient_id, case.branch_id) == (patient, c.branch.id)
