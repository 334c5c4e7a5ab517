"""Callback requests (core/calls/callbacks.py), on SQLite and PostgreSQL: merged per number
by the database, parallel calls too, with their count; done once."""

from __future__ import annotations

import asyncio

import pytest

from core.calls.callbacks import CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import InvalidTransition
from core.vocab import CallbackOutcome, CallbackReason, CallbackStatus
from testkit.staff_desk import ADMIN

NUMBER = "+48501000009"


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
