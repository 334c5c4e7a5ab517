"""The registration desk by phone (ivr/desk.py), end to end on SQLite and PostgreSQL: its
queue, a callback offered when the queue is long or full or the branch is closed, and
callers at night."""

from __future__ import annotations

from datetime import UTC, datetime

from core.calls.callbacks import CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import CallbackRequest
from core.vocab import CallbackOutcome, CallbackReason, CallbackStatus, CallOutcome
from testkit.factories import SmallClinic
from testkit.ivr import Client, assert_prompt, rows, the_call
from testkit.phone import Phone
from testkit.staff_desk import ADMIN


async def test_a_caller_asks_for_a_callback_when_the_queue_is_long(
    client: Client, db: Database, clinic: SmallClinic
) -> None:
    phone = Phone(client)
    await phone.dial()
    await phone.press("0")
    assert phone.verbs()[-1] == "Enqueue"

    wait = await phone.wait_in_queue(seconds=10, position=3)
    assert [v.tag for v in wait] == ["Say", "Gather", "Pause"]
    assert "3" in (wait.findtext("Say") or "")
    assert len(wait.findall("Gather/Say")) == 1  # a booking link by text; no callback yet
    wait = await phone.wait_in_queue(seconds=75, position=2)
    assert [v.tag for v in wait] == ["Say", "Gather", "Pause"]
    assert len(wait.findall("Gather/Say")) == 2
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
