"""A call's state and its caller (core/calls/store.py), on SQLite and PostgreSQL: a step
saved over a parallel one refused, dates of birth throttled per number, and dates of birth
typed on a keypad."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.calls.reports import CallReports
from core.calls.store import Callers, CallStore, parse_birth_date
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import ConcurrentUpdate, Throttled
from core.vocab import CallOutcome
from testkit.factories import adult, small_clinic
from testkit.staff_desk import ADMIN

NUMBER = "+48501000009"


async def test_a_step_saving_over_a_parallel_one_is_refused(
    db: Database, clock: FrozenClock
) -> None:
    await small_clinic(db, clock, days=1)
    calls = CallStore(db, clock)
    first = await calls.start("CA1", NUMBER, "+48221000000", None, "pl")
    second = await calls.load("CA1")
    first.state["step"] = "dob"
    await calls.save(first)
    second.state["step"] = "menu"
    with pytest.raises(ConcurrentUpdate):
        await calls.save(second)
    assert (await calls.load("CA1")).state["step"] == "dob"
    again = await calls.start("CA1", NUMBER, "+48221000000", None, "en")  # a retried webhook
    assert (again.language, again.version) == ("pl", 1)

    ended = await calls.finish("CA1", 42)
    assert ended is not None
    assert ended.outcome is CallOutcome.ABANDONED
    first.outcome = None
    first.state["step"] = "menu"
    await calls.save(first)  # a late step never erases the outcome the end recorded
    (row,) = (
        await CallReports(db).records(
            ADMIN,
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            limit=9,
            offset=0,
        )
    ).items
    assert row.outcome is CallOutcome.ABANDONED
    assert row.duration_seconds == 42
    assert await calls.finish("CA-unknown", 1) is None


async def test_dates_of_birth_typed_from_one_number_are_throttled(
    db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock)
    callers = Callers(db, clock)
    card = await callers.card_for("+48501000001")
    assert card is not None
    assert card.id == patient_id
    assert await callers.card_for("anonymous") is None
    assert await callers.card_for("+48501000002") is None
    for _call in range(8):  # the patient's right date is never held against them
        assert await callers.confirm(patient_id, "+48501000001", "01051980")
    for wrong in ("02051980", "99999999", "0105198", "31021980", "01011990"):
        assert not await callers.confirm(patient_id, "+48501000001", wrong)
    with pytest.raises(Throttled):  # five wrong: even the right one waits for the hour
        await callers.confirm(patient_id, "+48501000001", "01051980")


async def test_parallel_wrong_dates_all_count(db: Database, clock: FrozenClock) -> None:
    import asyncio

    patient_id = await adult(db, clock)
    callers = Callers(db, clock)
    results = await asyncio.gather(
        *(callers.confirm(patient_id, "+48501000001", "02051980") for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Throttled) for r in results) == 3
    with pytest.raises(Throttled):
        await callers.confirm(patient_id, "+48501000001", "01051980")


def test_birth_dates_typed_on_a_keypad() -> None:
    assert parse_birth_date("14031985") == date(1985, 3, 14)
    for bad in ("31021985", "1403198", "140319850", "14O31985", "１４031985"):
        assert parse_birth_date(bad) is None
