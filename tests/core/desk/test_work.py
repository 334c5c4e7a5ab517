"""What calls leave for the desk, worked through the core on SQLite and PostgreSQL: a
callback or task taken by one member only (parallel takes race for real), finished by its
taker or an admin, each member within their branches; call records and reports in scope."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from core.calls.callbacks import CallbackService
from core.calls.reports import CallReports
from core.calls.store import CallStore
from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.desk.scope import StaffScope
from core.errors import InvalidTransition, NotFound
from core.models import CallbackRequest
from core.vocab import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallOutcome,
    TaskKind,
    TaskStatus,
)
from testkit.staff_desk import FAST_HASHER, Desk, desk


@dataclass(frozen=True)
class Scopes:
    admin: StaffScope
    reg: StaffScope  # Mokotów's registrar
    wola: StaffScope  # Wola's registrar
    doc: StaffScope


@pytest.fixture
async def clinic(db: Database, clock: FrozenClock) -> Desk:
    return await desk(db, clock)


@pytest.fixture
async def scopes(db: Database, clock: FrozenClock, clinic: Desk) -> Scopes:
    accounts = StaffAccounts(db, clock, hasher=FAST_HASHER)
    return Scopes(
        *[
            await accounts.scope(m)
            for m in (clinic.admin, clinic.registrar, clinic.other_registrar, clinic.doctor)
        ]
    )


async def ask(callbacks: CallbackService, phone: str, branch_id: int | None, sid: str) -> int:
    made = await callbacks.request(
        phone, CallbackReason.QUEUE_LONG, call_sid=sid, language="pl", branch_id=branch_id
    )
    assert made.id is not None
    return made.id


async def test_two_members_taking_one_callback_at_once_one_has_it(
    db: Database, clock: FrozenClock, clinic: Desk, scopes: Scopes
) -> None:
    callbacks = CallbackService(db, clock)
    request_id = await ask(callbacks, "+48501000001", clinic.clinic.branch.id, "CA1")
    results = await asyncio.gather(
        callbacks.take(scopes.admin, request_id),
        callbacks.take(scopes.reg, request_id),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0].details["reason"] == "taken"
    holder = winners[0].taken_by
    assert holder in ("admin", "reg")
    (listed,) = (await callbacks.queue(scopes.admin)).items
    assert listed.taken_by == holder
    assert listed.taken_at == clock.now()


async def test_a_callback_is_done_by_its_taker_or_an_admin_once(
    db: Database, clock: FrozenClock, clinic: Desk, scopes: Scopes
) -> None:
    callbacks = CallbackService(db, clock)
    phone = "+48501000002"
    request_id = await ask(callbacks, phone, clinic.clinic.branch.id, "CA1")
    taken = await callbacks.take(scopes.reg, request_id)
    assert (await callbacks.take(scopes.reg, request_id)).taken_at == taken.taken_at  # again
    # A repeat call while the desk is calling back still joins the request.
    assert await ask(callbacks, phone, clinic.clinic.branch.id, "CA2") == request_id

    other_admin = StaffScope(99, "boss", scopes.admin.role, None, None)
    with pytest.raises(InvalidTransition):
        await callbacks.take(other_admin, request_id)
    clock.advance(timedelta(minutes=5))
    done = await callbacks.done(
        scopes.reg, request_id, CallbackOutcome.VOICEMAIL, "  voicemail left  "
    )
    assert (done.status, done.outcome, done.note) == (
        CallbackStatus.DONE,
        CallbackOutcome.VOICEMAIL,
        "voicemail left",
    )
    assert (done.closed_by, done.closed_at, done.calls) == ("reg", clock.now(), 2)
    with pytest.raises(InvalidTransition) as again:
        await callbacks.done(scopes.reg, request_id, CallbackOutcome.REACHED)
    assert again.value.details["reason"] == "done"
    assert await ask(callbacks, phone, clinic.clinic.branch.id, "CA3") != request_id

    second = await ask(callbacks, "+48501000003", clinic.clinic.branch.id, "CA4")
    await callbacks.take(scopes.reg, second)
    assert clinic.other_branch.id is not None
    another_reg = StaffScope(98, "reg2", scopes.reg.role, scopes.reg.branch_ids, None)
    with pytest.raises(InvalidTransition):  # a colleague's call in progress
        await callbacks.done(another_reg, second, CallbackOutcome.REACHED)
    closed = await callbacks.done(scopes.admin, second, CallbackOutcome.WRONG_NUMBER)
    assert (closed.taken_by, closed.closed_by) == ("reg", "admin")


async def test_each_member_sees_and_takes_their_branches_callbacks_only(
    db: Database, clock: FrozenClock, clinic: Desk, scopes: Scopes
) -> None:
    callbacks = CallbackService(db, clock)
    ours = await ask(callbacks, "+48501000004", clinic.clinic.branch.id, "CA1")
    clock.advance(timedelta(minutes=1))
    theirs = await ask(callbacks, "+48501000005", clinic.other_branch.id, "CA2")
    clock.advance(timedelta(minutes=1))
    nowhere = await ask(callbacks, "+48501000006", None, "CA3")

    def ids(found: list[CallbackRequest]) -> list[int | None]:
        return [r.id for r in found]

    assert ids((await callbacks.queue(scopes.admin)).items) == [ours, theirs, nowhere]
    assert ids((await callbacks.queue(scopes.reg)).items) == [ours, nowhere]
    assert ids((await callbacks.queue(scopes.wola)).items) == [theirs, nowhere]
    assert (await callbacks.queue(scopes.doc)).items == []
    assert clinic.other_branch.id is not None
    asked = frozenset({clinic.other_branch.id})
    assert (await callbacks.queue(scopes.reg, branch_ids=asked)).items == []
    assert ids((await callbacks.queue(scopes.admin, branch_ids=asked)).items) == [theirs]
    page = await callbacks.queue(scopes.admin, limit=2, offset=0)
    assert (len(page.items), page.has_more) == (2, True)
    for member, request_id in ((scopes.reg, theirs), (scopes.doc, ours)):
        with pytest.raises(NotFound):
            await callbacks.take(member, request_id)
        with pytest.raises(NotFound):
            await callbacks.done(member, request_id, CallbackOutcome.REACHED)
    await callbacks.done(scopes.reg, ours, CallbackOutcome.REACHED)
    done = frozenset({CallbackStatus.DONE})
    assert ids((await callbacks.queue(scopes.reg, statuses=done)).items) == [ours]


async def test_tasks_are_taken_once_closed_with_a_note_and_kept_by_branch(
    db: Database, clock: FrozenClock, clinic: Desk, scopes: Scopes
) -> None:
    tasks = TaskService(db, clock)
    rx = await tasks.create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"transcript": "Euthyrox 50"},
        branch_id=clinic.clinic.branch.id,
    )
    card = await tasks.create(
        TaskKind.COMPLETE_CARD,
        language="uk",
        details={"spoken_name": "Olena Shevchenko"},
        branch_id=clinic.other_branch.id,
    )
    assert rx.id is not None
    assert card.id is not None
    assert [t.id for t in (await tasks.listed(scopes.reg)).items] == [rx.id]
    assert [t.id for t in (await tasks.listed(scopes.wola)).items] == [card.id]
    assert (await tasks.listed(scopes.doc)).items == []
    cards = frozenset({TaskKind.COMPLETE_CARD})
    assert [t.id for t in (await tasks.listed(scopes.admin, kinds=cards)).items] == [card.id]
    with pytest.raises(NotFound):
        await tasks.take(scopes.wola, rx.id)

    results = await asyncio.gather(
        tasks.take(scopes.reg, rx.id), tasks.take(scopes.admin, rx.id), return_exceptions=True
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1
    holder = next(r for r in results if not isinstance(r, BaseException))
    taker = scopes.reg if holder.taken_by == "reg" else scopes.admin
    closed = await tasks.close(taker, rx.id, "renewed, patient told by SMS")
    assert (closed.status, closed.note, closed.closed_by) == (
        TaskStatus.DONE,
        "renewed, patient told by SMS",
        taker.login,
    )
    with pytest.raises(InvalidTransition):
        await tasks.close(taker, rx.id)
    assert (await tasks.listed(scopes.reg)).items == []


async def test_call_records_and_reports_in_scope(
    db: Database, clock: FrozenClock, clinic: Desk, scopes: Scopes
) -> None:
    calls = CallStore(db, clock)
    a, b = clinic.clinic.branch.id, clinic.other_branch.id
    # Tuesday 1 Dec 08:00 Warsaw; 23:30 Warsaw (22:30 UTC, still Tuesday); Wednesday 00:30.
    for sid, branch, at in (
        ("CA1", a, datetime(2026, 12, 1, 7, 0, tzinfo=UTC)),
        ("CA2", a, datetime(2026, 12, 1, 22, 30, tzinfo=UTC)),
        ("CA3", b, datetime(2026, 12, 1, 23, 30, tzinfo=UTC)),
        ("CA4", a, datetime(2026, 12, 3, 9, 0, tzinfo=UTC)),
    ):
        clock.set(at)
        call = await calls.start(sid, "+48501000007", "+48221000000", branch, "pl")
        if sid != "CA4":
            call.outcome = CallOutcome.BOOKED if sid == "CA1" else CallOutcome.CALLBACK
            await calls.save(call)
            await calls.finish(sid, 30)

    reports = CallReports(db)
    start, end = datetime(2026, 11, 30, 23, 0, tzinfo=UTC), datetime(2026, 12, 3, 23, 0, tzinfo=UTC)
    assert await reports.per_day(scopes.admin, start, end) == {
        date(2026, 12, 1): 2,
        date(2026, 12, 2): 1,
        date(2026, 12, 3): 1,
    }
    assert await reports.per_day(scopes.reg, start, end) == {
        date(2026, 12, 1): 2,
        date(2026, 12, 2): 0,
        date(2026, 12, 3): 1,
    }
    assert await reports.outcomes(scopes.admin, start, end) == {
        CallOutcome.BOOKED: 1,
        CallOutcome.CALLBACK: 2,
        None: 1,
    }
    assert await reports.outcomes(scopes.wola, start, end) == {CallOutcome.CALLBACK: 1}
    assert await reports.outcomes(scopes.doc, start, end) == {}
    page = await reports.records(scopes.reg, start, end, limit=1, offset=1)
    assert ([c.call_sid for c in page.items], page.has_more) == (["CA2"], True)
    (last,) = (await reports.records(scopes.reg, start, end, limit=5, offset=2)).items
    assert (last.call_sid, last.outcome, last.ended_at) == ("CA4", None, None)
