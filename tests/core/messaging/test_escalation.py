"""Escalations to the desk and the saved state of conversations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.errors import InvalidTransition
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.models import OutboxEvent
from core.vocab import Channel, EscalationStatus, EventKind


async def test_escalation_lifecycle_and_reply_event(db, clock):
    desk = EscalationService(db, clock)
    case = await desk.open(
        Channel.TELEGRAM,
        "42",
        reason="asked",
        language="uk",
        transcript=[("patient", "Хочу лікаря"), ("bot", "Оберіть послугу")],
    )
    assert (await desk.open(Channel.TELEGRAM, "42", reason="asked", language="uk")).id == case.id
    await desk.patient_says(case.id, "  Алло?  ")
    message = await desk.reply(case.id, "anna.r", "Dzień dobry, w czym pomóc?")
    assert [(m.author, m.text) for m in await desk.transcript(case.id)] == [
        ("patient", "Хочу лікаря"),
        ("bot", "Оберіть послугу"),
        ("patient", "Алло?"),
        ("staff", "Dzień dobry, w czym pomóc?"),
    ]
    async with db.read() as session:
        [event] = (
            await session.execute(
                select(OutboxEvent).where(col(OutboxEvent.kind) == EventKind.ESCALATION_REPLY)
            )
        ).scalars()
    assert event.payload == {
        "escalation_id": case.id,
        "message_id": message.id,
        "channel": "telegram",
        "chat_id": "42",
        "language": "uk",
    }
    assert (await desk.active(Channel.TELEGRAM, "42")).status is EscalationStatus.TAKEN
    await desk.close(case.id)
    assert await desk.active(Channel.TELEGRAM, "42") is None
    with pytest.raises(InvalidTransition):
        await desk.reply(case.id, "anna.r", "jeszcze coś")


async def test_a_turn_begins_knowing_the_linked_card(db, clock):
    from core.patients.linking import LinkingService
    from testkit.factories import adult

    card = await adult(db, clock)
    linking = LinkingService(db, clock, b"k" * 32)
    code = await linking.issue(card)
    await linking.redeem(Channel.WHATSAPP, "+48501000001", code.code)

    store = ConversationStore(db, clock)
    async with store.turn(Channel.WHATSAPP, "+48501000001", "SM1") as (snapshot, _):
        pass

    assert snapshot is not None
    assert snapshot.patient_id == card


async def test_a_case_taken_by_one_member_is_refused_to_another(db, clock):
    desk = EscalationService(db, clock)
    case = await desk.open(Channel.WEB, "web-1", reason="asked", language="pl")
    await desk.take(case.id, "anna.r")
    assert (await desk.take(case.id, "anna.r")).taken_by == "anna.r"  # again: no change
    with pytest.raises(InvalidTransition) as refused:
        await desk.take(case.id, "jan.k")
    assert refused.value.details["reason"] == "taken"


async def test_a_case_belongs_to_the_chosen_branch_else_to_the_last_visit_s(db, clock):
    from testkit.dashboard import book
    from testkit.staff_desk import desk as two_branches

    clinic = await two_branches(db, clock)
    booking_id = await book(db, clock, clinic, clinic.other_doctor.id, 1)  # at Wola
    async with db.read() as session:
        from core.models import Booking

        patient_id = (await session.get_one(Booking, booking_id)).patient_id
    cases = EscalationService(db, clock)
    by_visit = await cases.open(
        Channel.WEB, "web-2", reason="asked", language="pl", patient_id=patient_id
    )
    assert by_visit.branch_id == clinic.other_branch.id
    chosen = await cases.open(
        Channel.WEB,
        "web-3",
        reason="asked",
        language="pl",
        patient_id=patient_id,
        branch_id=clinic.clinic.branch.id,
    )
    assert chosen.branch_id == clinic.clinic.branch.id
    nobody = await cases.open(Channel.WEB, "web-4", reason="asked", language="pl")
    assert nobody.branch_id is None
