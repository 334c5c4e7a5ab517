"""The staff API's callbacks, tasks, call records and call reports over real HTTP, on
SQLite and PostgreSQL: each role within its scope (a registrar of one branch neither sees
nor takes another's), one taker per item, CSRF on cookie-authenticated writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pytest_aiohttp import AiohttpClient

from core.calls.callbacks import CallbackService
from core.calls.store import CallStore
from core.calls.tasks import TaskService
from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import CallbackReason, CallOutcome, TaskKind
from testkit.staff_api import World, log_in, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def callback(
    db: Database, clock: FrozenClock, phone: str, branch_id: int | None, patient_id: int | None
) -> int:
    clock.advance(timedelta(minutes=1))  # each asks a minute after the one before
    made = await CallbackService(db, clock).request(
        phone,
        CallbackReason.AFTER_HOURS,
        call_sid=f"CA{phone}",
        language="uk",
        branch_id=branch_id,
        patient_id=patient_id,
    )
    assert made.id is not None
    return made.id


async def test_callbacks_by_waiting_time_taken_once_and_done_in_scope(
    world: World, db: Database, clock: FrozenClock
) -> None:
    a, b = world.desk.clinic.branch.id, world.desk.other_branch.id
    ours = await callback(db, clock, "+48501000011", a, world.patient_id)
    theirs = await callback(db, clock, "+48501000012", b, None)
    later = await callback(db, clock, "+48501000013", a, None)

    listed = await world.call("registrar", "GET", "/callbacks")
    assert [c["id"] for c in listed["items"]] == [ours, later]
    first = listed["items"][0]
    assert (first["reason"], first["calls"], first["language"]) == ("after_hours", 1, "uk")
    assert first["patient_name"] == "Ewa Testowa1"
    assert [
        c["id"] for c in (await world.call("other_registrar", "GET", "/callbacks"))["items"]
    ] == [theirs]
    page = await world.call("admin", "GET", "/callbacks?limit=2")
    assert ([c["id"] for c in page["items"]], page["has_more"]) == ([ours, theirs], True)
    assert [
        c["id"] for c in (await world.call("admin", "GET", f"/callbacks?branch={b}"))["items"]
    ] == [theirs]
    assert (await world.call("registrar", "GET", f"/callbacks?branch={b}"))["items"] == []
    await world.call("doctor", "GET", "/callbacks", status=403)

    # Branch B's request is "not found" for A's registrar, whatever they try.
    await world.call("registrar", "POST", f"/callbacks/{theirs}/take", status=404)
    await world.call(
        "registrar", "POST", f"/callbacks/{theirs}/done", json={"outcome": "reached"}, status=404
    )

    taken = await world.call("registrar", "POST", f"/callbacks/{ours}/take")
    assert (taken["taken_by"], taken["status"]) == ("reg", "open")
    refused = await world.call("admin", "POST", f"/callbacks/{ours}/take", status=409)
    assert refused["error"] == {
        "code": "invalid_transition",
        "message": "the callback request is taken",
        "reason": "taken",
    }
    await world.call(
        "registrar", "POST", f"/callbacks/{ours}/done", json={"outcome": "maybe"}, status=400
    )
    done = await world.call(
        "registrar",
        "POST",
        f"/callbacks/{ours}/done",
        json={"outcome": "reached", "note": "booked for Friday"},
    )
    assert (done["status"], done["outcome"], done["note"], done["closed_by"]) == (
        "done",
        "reached",
        "booked for Friday",
        "reg",
    )
    again = await world.call(
        "registrar", "POST", f"/callbacks/{ours}/done", json={"outcome": "reached"}, status=409
    )
    assert again["error"]["reason"] == "done"
    assert [c["id"] for c in (await world.call("registrar", "GET", "/callbacks"))["items"]] == [
        later
    ]
    finished = await world.call("registrar", "GET", "/callbacks?status=done")
    assert [c["id"] for c in finished["items"]] == [ours]
    await world.call("registrar", "POST", "/callbacks/99999/take", status=404)


async def test_tasks_in_scope_taken_and_closed_with_a_note(
    world: World, db: Database, clock: FrozenClock
) -> None:
    tasks = TaskService(db, clock)
    rx = await tasks.create(
        TaskKind.PRESCRIPTION,
        language="pl",
        details={"recording_url": "https://api.twilio.com/recordings/RE1"},
        patient_id=world.patient_id,
        branch_id=world.desk.clinic.branch.id,
        call_sid="CA1",
    )
    card = await tasks.create(
        TaskKind.COMPLETE_CARD,
        language="pl",
        details={"spoken_name": "Jan Nowak"},
        branch_id=world.desk.other_branch.id,
    )
    mine = await world.call("registrar", "GET", "/tasks")
    [item] = mine["items"]
    assert (item["id"], item["kind"], item["patient_name"]) == (
        rx.id,
        "prescription_renewal",
        "Ewa Testowa1",
    )
    assert item["details"] == {"recording_url": "https://api.twilio.com/recordings/RE1"}
    cards = await world.call("admin", "GET", "/tasks?kind=complete_card")
    assert [t["id"] for t in cards["items"]] == [card.id]
    await world.call("doctor", "GET", "/tasks", status=403)
    await world.call("other_registrar", "POST", f"/tasks/{rx.id}/take", status=404)

    await world.call("registrar", "POST", f"/tasks/{rx.id}/take")
    await world.call("admin", "POST", f"/tasks/{rx.id}/take", status=409)
    await world.call("other_registrar", "POST", f"/tasks/{card.id}/take")
    closed = await world.call(
        "registrar", "POST", f"/tasks/{rx.id}/close", json={"note": "renewed"}
    )
    assert (closed["status"], closed["note"], closed["taken_by"]) == ("done", "renewed", "reg")
    await world.call("registrar", "POST", f"/tasks/{rx.id}/close", json={}, status=409)
    assert (await world.call("registrar", "GET", "/tasks"))["items"] == []
    done = await world.call("registrar", "GET", "/tasks?status=done")
    assert [t["id"] for t in done["items"]] == [rx.id]


async def test_call_records_and_reports_by_period_in_scope(
    world: World, db: Database, clock: FrozenClock
) -> None:
    calls = CallStore(db, clock)
    a, b = world.desk.clinic.branch.id, world.desk.other_branch.id
    for sid, branch, outcome in (("CA1", a, CallOutcome.BOOKED), ("CA2", b, None)):
        clock.advance(timedelta(minutes=10))
        started = await calls.start(sid, "+48501000001", "+48221000000", branch, "pl")
        started.path.append("menu")
        started.outcome = outcome
        await calls.save(started)
    await calls.finish("CA1", 95)

    start, end = "2026-11-30T23:00:00Z", "2026-12-01T23:00:00Z"  # Tuesday in Warsaw
    period = f"start={start}&end={end}"
    records = await world.call("registrar", "GET", f"/calls?{period}")
    [record] = records["items"]
    assert (record["call_sid"], record["path"], record["outcome"], record["duration_seconds"]) == (
        "CA1",
        ["menu"],
        "booked",
        95,
    )
    everything = await world.call("admin", "GET", f"/calls?{period}&limit=1&offset=1")
    assert ([c["call_sid"] for c in everything["items"]], everything["has_more"]) == (
        ["CA2"],
        False,
    )
    await world.call("doctor", "GET", f"/calls?{period}", status=403)
    await world.call("admin", "GET", f"/calls?start={end}&end={start}", status=400)
    await world.call("admin", "GET", "/calls", status=400)

    per_day = await world.call("admin", "GET", f"/reports/calls-per-day?{period}")
    assert per_day["rows"] == [{"day": "2026-12-01", "calls": 2}]
    week = "start=2026-11-30T23:00:00Z&end=2026-12-07T23:00:00Z"
    days = (await world.call("other_registrar", "GET", f"/reports/calls-per-day?{week}"))["rows"]
    assert [d["day"] for d in days] == [f"2026-12-0{n}" for n in range(1, 8)]
    assert [d["calls"] for d in days] == [1, 0, 0, 0, 0, 0, 0]

    outcomes = await world.call("admin", "GET", f"/reports/call-outcomes?{period}")
    counted = {r["outcome"]: r["calls"] for r in outcomes["rows"] if r["calls"]}
    assert (counted, outcomes["unfinished"]) == ({"booked": 1}, 1)
    assert len(outcomes["rows"]) == len(CallOutcome)
    mine = await world.call("other_registrar", "GET", f"/reports/call-outcomes?{period}")
    assert (sum(r["calls"] for r in mine["rows"]), mine["unfinished"]) == (0, 1)
    await world.call("doctor", "GET", f"/reports/call-outcomes?{period}", status=403)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_cookie_writes_to_callbacks_and_tasks_need_the_csrf_token(
    world: World, db: Database, clock: FrozenClock
) -> None:
    request_id = await callback(db, clock, "+48501000014", world.desk.clinic.branch.id, None)
    task = await TaskService(db, clock).create(
        TaskKind.PRESCRIPTION, language="pl", details={"transcript": "Euthyrox"}
    )
    await log_in(world)
    csrf = (await (await world.client.get("/api/v1/me")).json())["csrf_token"]
    for url, body in (
        (f"/api/v1/callbacks/{request_id}/take", None),
        (f"/api/v1/callbacks/{request_id}/done", {"outcome": "reached"}),
        (f"/api/v1/tasks/{task.id}/take", None),
        (f"/api/v1/tasks/{task.id}/close", {"note": ""}),
    ):
        refused = await world.client.post(url, json=body)
        assert refused.status == 403, url
        assert (await refused.json())["error"]["reason"] == "csrf"
        done = await world.client.post(url, json=body, headers={"X-CSRF-Token": csrf})
        assert done.status == 200, (url, await done.text())
    statuses = await world.client.get("/api/v1/callbacks?status=done")
    [closed] = (await statuses.json())["items"]
    assert (closed["outcome"], closed["taken_by"]) == ("reached", "reg")
    assert datetime.fromisoformat(closed["closed_at"]) == clock.now().astimezone(UTC)
