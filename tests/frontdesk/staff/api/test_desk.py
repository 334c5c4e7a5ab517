"""The staff API's waiting list, reminder rules, services, schedules and reports over real
HTTP, on SQLite and PostgreSQL, each role within its scope."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import update
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import ScheduleTemplate
from testkit.staff_api import NINE, World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def test_waiting_list_by_branch(world: World) -> None:
    c = world.desk.clinic
    mine = await world.call(
        "registrar",
        "POST",
        "/waitlist",
        json={
            "patient_id": world.patient_id,
            "channel": "telegram",
            "doctor_id": c.internist.id,
            "branch_id": c.branch.id,
            "time_from": "08:00:00",
            "time_to": "12:00:00",
        },
        status=201,
    )
    assert (mine["status"], mine["branch_id"]) == ("waiting", c.branch.id)
    theirs = await world.call(
        "other_registrar",
        "POST",
        "/waitlist",
        json={
            "patient_id": world.patient_id,
            "channel": "whatsapp",
            "service_id": c.consult.id,
            "branch_id": world.desk.other_branch.id,
        },
        status=201,
    )
    anywhere = await world.call(
        "admin",
        "POST",
        "/waitlist",
        json={"patient_id": world.patient_id, "channel": "sms", "service_id": c.consult.id},
        status=201,
    )
    await world.call(
        "registrar",
        "POST",
        "/waitlist",
        json={
            "patient_id": world.patient_id,
            "channel": "telegram",
            "service_id": c.consult.id,
            "branch_id": world.desk.other_branch.id,
        },
        status=403,
    )
    await world.call(
        "registrar",
        "POST",
        "/waitlist",
        json={"patient_id": world.patient_id, "channel": "voice", "service_id": c.consult.id},
        status=400,
    )
    seen = await world.call("registrar", "GET", "/waitlist")
    assert [e["id"] for e in seen["items"]] == [mine["id"], anywhere["id"]]
    all_ = await world.call("admin", "GET", "/waitlist?limit=2")
    assert (len(all_["items"]), all_["has_more"]) == (2, True)
    await world.call("registrar", "DELETE", f"/waitlist/{theirs['id']}", status=404)
    await world.call("registrar", "DELETE", f"/waitlist/{mine['id']}", status=204)
    left = await world.call("registrar", "GET", "/waitlist?status=waiting")
    assert [e["id"] for e in left["items"]] == [anywhere["id"]]
    await world.call("doctor", "GET", "/waitlist", status=403)


async def test_reminder_rules_read_by_the_desk_changed_by_an_admin(world: World) -> None:
    rule = {
        "name": "Day before",
        "kind": "days_before",
        "days": 1,
        "at_local": "18:00:00",
        "templates": {"pl": "Jutro o {{ time }} wizyta", "en": "Tomorrow at {{ time }}"},
        "with_actions": True,
    }
    await world.call("registrar", "POST", "/reminder-rules", json=rule, status=403)
    created = await world.call("admin", "POST", "/reminder-rules", json=rule, status=201)
    assert (created["kind"], created["at_local"], created["enabled"]) == (
        "days_before",
        "18:00:00",
        True,
    )
    bad = await world.call(
        "admin",
        "POST",
        "/reminder-rules",
        json={**rule, "templates": {"pl": "{{ nope }}"}},
        status=422,
    )
    assert bad["error"]["code"] == "template_invalid"
    rule_id = created["id"]
    changed = await world.call(
        "admin",
        "PUT",
        f"/reminder-rules/{rule_id}/templates",
        json={"templates": {"uk": "Завтра о {{ time }}"}},
    )
    assert changed["templates"] == {"uk": "Завтра о {{ time }}"}
    off = await world.call(
        "admin", "PUT", f"/reminder-rules/{rule_id}/enabled", json={"enabled": False}
    )
    assert off["enabled"] is False
    listed = await world.call("registrar", "GET", "/reminder-rules")
    assert [r["id"] for r in listed["items"]] == [rule_id]
    await world.call("doctor", "GET", "/reminder-rules", status=403)
    await world.call(
        "admin", "PUT", "/reminder-rules/999/enabled", json={"enabled": True}, status=404
    )


async def test_services_with_restrictions(world: World) -> None:
    found = await world.call("doctor", "GET", "/services?limit=10")
    usg = next(s for s in found["items"] if s["code"] == "USG")
    assert (usg["sex"], usg["referral_required"], usg["price"]) == ("F", True, "200.00")
    child = next(s for s in found["items"] if s["code"] == "PED")
    assert child["max_age"] == 17


async def test_schedule_templates_within_scope(world: World) -> None:
    c = world.desk.clinic
    own = await world.call("doctor", "GET", "/schedule-templates")
    doctors = {t["doctor_id"] for t in own["items"]}
    assert doctors == {c.internist.id}
    branches = {
        t["branch_id"]
        for t in (await world.call("other_registrar", "GET", "/schedule-templates"))["items"]
    }
    assert branches == {world.desk.other_branch.id}
    paed = await world.call("admin", "GET", f"/schedule-templates?doctor={c.paediatrician.id}")
    assert len(paed["items"]) == 5
    assert paed["items"][0]["channels"] == ["telegram", "whatsapp", "voice", "web"]
    asked = await world.call(
        "registrar", "GET", f"/schedule-templates?branch={world.desk.other_branch.id}"
    )
    assert asked["items"] == []


async def test_regeneration_reports_conflicts_in_scope(
    world: World, db: Database, clock: FrozenClock
) -> None:
    c = world.desk.clinic

    async def shorten(session):  # the internist now starts at 10:00: the 09:00 visit is orphaned
        await session.execute(
            update(ScheduleTemplate)
            .where(col(ScheduleTemplate.doctor_id) == c.internist.id)
            .values(start_time=time(10, 0))
        )

    await db.write(shorten)
    day = NINE.date().isoformat()
    body = {"first_day": day, "last_day": day, "doctor_id": c.internist.id}
    await world.call("registrar", "POST", "/schedule/regenerate", json=body, status=403)
    report = await world.call("admin", "POST", "/schedule/regenerate", json=body)
    assert report["conflicts"] == [world.booking_a]
    for who in ("admin", "registrar", "doctor"):
        conflicts = await world.call(who, "GET", "/schedule-conflicts")
        assert [x["booking_id"] for x in conflicts["items"]] == [world.booking_a], who
    assert (await world.call("other_registrar", "GET", "/schedule-conflicts"))["items"] == []
    late = (NINE + timedelta(days=400)).date().isoformat()
    await world.call(
        "admin",
        "POST",
        "/schedule/regenerate",
        json={"first_day": day, "last_day": late},
        status=400,
    )


async def test_bookings_per_channel(world: World) -> None:
    c = world.desk.clinic
    await world.call(
        "registrar",
        "POST",
        "/bookings",
        json={
            "patient_id": world.patient_id,
            "service_id": c.consult.id,
            "doctor_id": c.internist.id,
            "start_at": (NINE + timedelta(hours=1)).isoformat(),
        },
        status=201,
    )
    start = NINE.date().isoformat() + "T00:00:00Z"
    end = (NINE + timedelta(days=1)).date().isoformat() + "T00:00:00Z"
    path = f"/reports/bookings-per-channel?start={start}&end={end}"

    def counts(report: dict[str, Any]) -> dict[str, int]:
        return {r["channel"]: r["bookings"] for r in report["rows"] if r["bookings"]}

    assert counts(await world.call("admin", "GET", path)) == {"telegram": 2, "staff": 1}
    assert counts(await world.call("registrar", "GET", path)) == {"telegram": 1, "staff": 1}
    assert counts(await world.call("other_registrar", "GET", path)) == {"telegram": 1}
    await world.call("doctor", "GET", path, status=403)
    await world.call(
        "admin", "GET", f"/reports/bookings-per-channel?start={end}&end={start}", status=400
    )


async def test_waitlist_refill_report_and_automatic_booking(world: World) -> None:
    c = world.desk.clinic
    entry = await world.call(
        "admin",
        "POST",
        "/waitlist",
        json={
            "patient_id": world.patient_id,
            "channel": "sms",
            "doctor_id": c.internist.id,
            "auto_book": True,
        },
        status=201,
    )
    assert entry["auto_book"] is True
    start = NINE.date().isoformat() + "T00:00:00Z"
    end = (NINE + timedelta(days=2)).date().isoformat() + "T00:00:00Z"
    path = f"/reports/waitlist-refill?start={start}&end={end}"
    report = await world.call("admin", "GET", path)
    assert (report["freed_minutes"], report["refilled_minutes"], report["share"]) == (0, 0, 0.0)
    await world.call("registrar", "GET", path, status=403)  # the whole clinic's figures
