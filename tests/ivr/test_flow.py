"""Silence is an answer too (ivr/flow.py), end to end on SQLite and PostgreSQL: a prompt
said again, then simpler, then the desk; and no prompt of a booking leaves a silent caller
alone."""

from __future__ import annotations

from core.clock import FrozenClock
from core.db.database import Database
from core.models import CallbackRequest
from core.vocab import CallbackReason, CallOutcome
from testkit.factories import SmallClinic, adult
from testkit.ivr import CALLER, Client, assert_prompt, rows, the_call
from testkit.phone import Phone


async def test_a_silent_caller_hears_the_prompt_again_then_simpler_then_the_desk(
    client: Client, db: Database, clinic: SmallClinic
) -> None:
    phone = Phone(client)
    await phone.dial()
    first = phone.gather()
    await phone.silence()
    assert_prompt(phone)
    assert "Przepraszam" in phone.said()
    again = [s.text for s in phone.gather().iter("Say")]
    assert again[1:] == [s.text for s in first.iter("Say")][1:]  # after the greeting
    await phone.silence()
    assert_prompt(phone, listens="dtmf")  # simpler: keys only, said one by one
    assert "nacisnąć 1" in phone.said()
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
