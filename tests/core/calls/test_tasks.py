"""Staff tasks (core/calls/tasks.py), on SQLite and PostgreSQL: listed oldest first, closed
once."""

from __future__ import annotations

import pytest

from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import InvalidTransition
from core.vocab import TaskKind
from testkit.staff_desk import ADMIN

NUMBER = "+48501000009"


async def test_tasks_are_listed_oldest_first_and_closed_once(
    db: Database, clock: FrozenClock
) -> None:
    tasks = TaskService(db, clock)
    made = await tasks.create(
        TaskKind.PRESCRIPTION, language="pl", details={"transcript": "x" * 5000}, phone=NUMBER
    )
    assert len(made.details["transcript"]) == 1000
    (listed,) = (await tasks.listed(ADMIN, kinds=frozenset({TaskKind.PRESCRIPTION}))).items
    assert listed.id == made.id
    assert (await tasks.listed(ADMIN, kinds=frozenset({TaskKind.COMPLETE_CARD}))).items == []
    await tasks.close(ADMIN, made.id or 0)
    with pytest.raises(InvalidTransition):
        await tasks.close(ADMIN, made.id or 0)
