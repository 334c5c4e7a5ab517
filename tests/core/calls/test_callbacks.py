"""Callback requests (core/calls/callbacks.py), on SQLite and PostgreSQL: merged per number
by the database, parallel calls too, with their count; done once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.calls.callbacks import MAX_ATTEMPTS, RETRY_DELAYS, CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.errors import InvalidTransition
from core.vocab import CallbackOutcome, CallbackReason, CallbackStatus
from testkit.staff_desk import ADMIN, Desk, desk

NUMBER = "+48501000009"


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> Desk:
    return await desk(db, clock)


async def test_parallel_calls_from_one_number_make_one_request_with_their_count(
    db: Database, clock: FrozenClock
) -> None:
    callbacks = CallbackService(db, clock)
    await asyncio.gather(
        *(
            callbacks.request(NUMBER, CallbackReason.MISSED, call_sid=f"CA{n}", language="pl")
            for n in range(5)
        )
    )
    for _ in range(2):  # one call asking twice in a row (a key, then a hang-up) counts once
        await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA5", language="pl")
    (request,) = (await callbacks.queue(ADMIN)).items
    assert request.calls == 6
    assert request.status is CallbackStatus.OPEN

    await callbacks.done(ADMIN, request.id or 0, CallbackOutcome.REACHED)
    with pytest.raises(InvalidTransition):
        await callbacks.done(ADMIN, request.id or 0, CallbackOutcome.REACHED)
    assert (await callbacks.queue(ADMIN)).items == []
    fresh = await callbacks.request(
        NUMBER, CallbackReason.AFTER_HOURS, call_sid="CA9", language="uk"
    )
    assert fresh.id != request.id
    assert (fresh.calls, fresh.language) == (1, "uk")


async def test_no_answer_puts_the_request_back_with_its_attempts_until_the_last(
    db: Database, clock: FrozenClock
) -> None:
    callbacks = CallbackService(db, clock)
    request = await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA1", language="pl")
    assert request.id is not None
    await callbacks.take(ADMIN, request.id)
    again = await callbacks.done(ADMIN, request.id, CallbackOutcome.NO_ANSWER, "nobody")
    assert (again.status, again.attempts, again.taken_by) == (CallbackStatus.OPEN, 1, None)
    assert again.retry_at == clock.now() + RETRY_DELAYS[0]
    assert again.note == "nobody"
    # Still the number's open request: a new call from it is counted on it.
    repeat = await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA2", language="pl")
    assert (repeat.id, repeat.calls) == (request.id, 2)

    clock.advance(timedelta(hours=1))
    second = await callbacks.done(ADMIN, request.id, CallbackOutcome.NO_ANSWER)
    assert (second.status, second.attempts, second.note) == (CallbackStatus.OPEN, 2, "nobody")
    assert second.retry_at == clock.now() + RETRY_DELAYS[1]
    last = await callbacks.done(ADMIN, request.id, CallbackOutcome.NO_ANSWER)
    assert (last.status, last.attempts, last.outcome) == (
        CallbackStatus.DONE,
        MAX_ATTEMPTS,
        CallbackOutcome.NO_ANSWER,
    )
    assert (await callbacks.queue(ADMIN)).items == []


async def test_a_request_to_retry_later_waits_behind_those_due_before_it(
    db: Database, clock: FrozenClock
) -> None:
    callbacks = CallbackService(db, clock)
    first = await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA1", language="pl")
    clock.advance(timedelta(minutes=5))
    second = await callbacks.request(
        "+48501000010", CallbackReason.MISSED, call_sid="CA2", language="pl"
    )
    assert first.id is not None
    await callbacks.done(ADMIN, first.id, CallbackOutcome.NO_ANSWER)
    assert [r.id for r in (await callbacks.queue(ADMIN)).items] == [second.id, first.id]


async def test_a_request_taken_by_someone_else_is_not_put_back(
    db: Database, clock: FrozenClock, clinic: Desk
) -> None:
    callbacks = CallbackService(db, clock)
    request = await callbacks.request(NUMBER, CallbackReason.MISSED, call_sid="CA1", language="pl")
    assert request.id is not None
    accounts = StaffAccounts(db, clock)
    await callbacks.take(await accounts.scope(clinic.registrar), request.id)
    with pytest.raises(InvalidTransition):
        await callbacks.done(
            await accounts.scope(clinic.other_registrar), request.id, CallbackOutcome.NO_ANSWER
        )
    (still,) = (await callbacks.queue(ADMIN)).items
    assert (still.attempts, still.taken_by) == (0, "reg")
