"""The staff API's bookings over real HTTP, on SQLite and PostgreSQL: search, create,
move, cancel, restore, statuses, history and trash, each role kept in its scope."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import BookingChange, Patient
from testkit.guard import switch_guard
from testkit.staff_api import NINE, TEN, World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


def ids(page) -> list[int]:
    return [item["id"] for item in page["items"]]


async def test_no_credentials_is_401_json(world: World) -> None:
    response = await world.client.get("/api/v1/bookings")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "authentication_failed"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Set-Cookie" not in response.headers  # a visitor of the API gets no session
    bad = await world.client.get(
        "/api/v1/bookings", headers={"Authorization": "Bearer fdk_not-a-token"}
    )
    assert bad.status == 401


async def test_each_role_searches_within_its_scope(world: World) -> None:
    both = sorted([world.booking_a, world.booking_b])
    assert sorted(ids(await world.call("admin", "GET", "/bookings"))) == both
    assert ids(await world.call("registrar", "GET", "/bookings")) == [world.booking_a]
    assert ids(await world.call("other_registrar", "GET", "/bookings")) == [world.booking_b]
    assert ids(await world.call("doctor", "GET", "/bookings")) == [world.booking_a]


async def test_a_registrar_asking_for_another_branch_learns_nothing(world: World) -> None:
    wola = world.desk.other_branch.id
    found = await world.call("registrar", "GET", f"/bookings?branch={wola}")
    assert found["items"] == []
    await world.call("registrar", "GET", f"/bookings/{world.booking_b}", status=404)
    await world.call("registrar", "GET", f"/bookings/{world.booking_b}/history", status=404)
    await world.call(
        "registrar",
        "POST",
        f"/bookings/{world.booking_b}/cancel",
        json={"reason": "not mine"},
        status=404,
    )
    await world.call("doctor", "GET", f"/bookings/{world.booking_b}", status=404)


async def test_search_filters(world: World) -> None:
    found = await world.call("admin", "GET", "/bookings?patient=ewa%20testowa1&phone=501000")
    assert len(found["items"]) == 2
    assert found["items"][0]["patient_name"] == "Ewa Testowa1"
    assert found["items"][0]["timezone"] == "Europe/Warsaw"
    none = await world.call("admin", "GET", "/bookings?patient=nobody")
    assert none["items"] == []
    by_source = await world.call("admin", "GET", "/bookings?source=telegram&source=staff")
    assert len(by_source["items"]) == 2
    assert (await world.call("admin", "GET", "/bookings?source=whatsapp"))["items"] == []
    later = (NINE + timedelta(minutes=1)).isoformat().replace("+", "%2B")
    assert (await world.call("admin", "GET", f"/bookings?start={later}"))["items"] == []
    paged = await world.call("admin", "GET", "/bookings?limit=1")
    assert (len(paged["items"]), paged["has_more"], paged["limit"]) == (1, True, 1)
    rest = await world.call("admin", "GET", "/bookings?limit=1&offset=1")
    assert (len(rest["items"]), rest["has_more"]) == (1, False)


async def test_search_by_pesel(world: World, db: Database) -> None:
    pesel = "80050112345"  # not valid: refused before any query

    error = await world.call("admin", "GET", f"/bookings?pesel={pesel}", status=400)
    assert error["error"]["code"] == "pesel_invalid"

    async def give_pesel(session):
        patient = await session.get_one(Patient, world.patient_id)
        patient.pesel = "80050112344"

    await db.write(give_pesel)
    found = await world.call("registrar", "GET", "/bookings?pesel=80050112344")
    assert ids(found) == [world.booking_a]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "offset=-1", "doctor=abc", "status=lost", "start=2026-12-01T10:00"],
)
async def test_bad_search_parameters_are_400(world: World, query: str) -> None:
    error = await world.call("admin", "GET", f"/bookings?{query}", status=400)
    assert error["error"]["code"] == "invalid_input"


async def test_registrar_books_moves_cancels_and_restores_with_history(
    world: World, clock: FrozenClock
) -> None:
    c = world.desk.clinic
    created = await world.call(
        "registrar",
        "POST",
        "/bookings",
        json={
            "patient_id": world.patient_id,
            "service_id": c.consult.id,
            "doctor_id": c.internist.id,
            "start_at": TEN.isoformat(),
        },
        status=201,
    )
    assert (created["source"], created["status"], created["branch_id"]) == (
        "staff",
        "booked",
        c.branch.id,
    )
    booking = created["id"]
    later = (TEN + timedelta(minutes=30)).isoformat()
    moved = await world.call(
        "registrar",
        "POST",
        f"/bookings/{booking}/move",
        json={"doctor_id": c.internist.id, "start_at": later},
    )
    assert moved["start_at"] == later.replace("+00:00", "Z")
    cancelled = await world.call(
        "registrar", "POST", f"/bookings/{booking}/cancel", json={"reason": "patient called"}
    )
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "patient called")
    trash = await world.call("registrar", "GET", "/bookings/trash")
    assert ids(trash) == [booking]
    restored = await world.call("registrar", "POST", f"/bookings/{booking}/restore")
    assert restored["status"] == "booked"
    ahead = await world.call(
        "registrar", "POST", f"/bookings/{booking}/status", json={"status": "arrived"}, status=409
    )
    assert ahead["error"]["code"] == "invalid_transition"
    clock.set(TEN - timedelta(hours=2))  # the visit's day has come
    arrived = await world.call(
        "registrar", "POST", f"/bookings/{booking}/status", json={"status": "arrived"}
    )
    assert arrived["status"] == "arrived"

    history = await world.call("admin", "GET", f"/bookings/{booking}/history")
    assert [h["action"] for h in history["items"]] == [
        "booked",
        "moved",
        "cancelled",
        "restored",
        "status",
    ]
    assert {(h["actor_kind"], h["actor"], h["by"]) for h in history["items"]} == {
        ("staff", "reg", "Renata Rejestracja")
    }
    first_two = await world.call("admin", "GET", f"/bookings/{booking}/history?limit=2")
    assert (len(first_two["items"]), first_two["has_more"]) == (2, True)


async def test_history_in_the_database_names_the_staff_login(world: World, db: Database) -> None:
    await world.call(
        "registrar", "POST", f"/bookings/{world.booking_a}/cancel", json={"reason": "ill"}
    )
    async with db.read() as session:
        last = (
            (
                await session.execute(
                    select(BookingChange).where(col(BookingChange.booking_id) == world.booking_a)
                )
            )
            .scalars()
            .all()[-1]
        )
    assert (last.actor_kind, last.actor, last.action) == ("staff", "reg", "cancelled")


async def test_a_registrar_cannot_book_or_move_into_another_branch(world: World) -> None:
    c, other = world.desk.clinic, world.desk.other_doctor
    body = {
        "patient_id": world.patient_id,
        "service_id": c.consult.id,
        "doctor_id": other.id,
        "start_at": TEN.isoformat(),
    }
    refused = await world.call("registrar", "POST", "/bookings", json=body, status=403)
    assert refused["error"]["code"] == "forbidden"
    await world.call(
        "registrar",
        "POST",
        f"/bookings/{world.booking_a}/move",
        json={"doctor_id": other.id, "start_at": TEN.isoformat()},
        status=403,
    )
    await world.call("other_registrar", "POST", "/bookings", json=body, status=201)


async def test_a_doctor_reads_and_marks_progress_only(world: World, clock: FrozenClock) -> None:
    c = world.desk.clinic
    body = {
        "patient_id": world.patient_id,
        "service_id": c.consult.id,
        "doctor_id": c.internist.id,
        "start_at": TEN.isoformat(),
    }
    await world.call("doctor", "POST", "/bookings", json=body, status=403)
    await world.call(
        "doctor", "POST", f"/bookings/{world.booking_a}/cancel", json={"reason": "x"}, status=403
    )
    await world.call(
        "doctor",
        "POST",
        f"/bookings/{world.booking_a}/status",
        json={"status": "arrived"},
        status=403,
    )
    clock.set(NINE)
    await world.call(
        "registrar", "POST", f"/bookings/{world.booking_a}/status", json={"status": "arrived"}
    )
    started = await world.call(
        "doctor", "POST", f"/bookings/{world.booking_a}/status", json={"status": "in_progress"}
    )
    assert started["status"] == "in_progress"


async def test_conflicts_and_bad_bodies_have_stable_codes(world: World) -> None:
    c = world.desk.clinic
    taken = {
        "patient_id": world.patient_id,
        "service_id": c.consult.id,
        "doctor_id": c.internist.id,
        "start_at": NINE.isoformat(),
    }
    assert (await world.call("admin", "POST", "/bookings", json=taken, status=409))["error"][
        "code"
    ] == "slot_taken"
    await world.call(
        "admin", "POST", f"/bookings/{world.booking_a}/restore", status=409
    )  # not cancelled
    bad_texts = ({"reason": "a\x00b"}, {"reason": "a\x1b[2Jb"}, {"reason": "a\x85b"})
    for bad in ({}, {"reason": ""}, {"reason": "x", "extra": 1}, *bad_texts):
        await world.call(
            "admin", "POST", f"/bookings/{world.booking_a}/cancel", json=bad, status=400
        )
    response = await world.client.post(
        f"/api/v1/bookings/{world.booking_a}/cancel",
        data=b"{not json",
        headers={**world.auth("admin"), "Content-Type": "application/json"},
    )
    assert response.status == 400
    await world.call("admin", "GET", "/bookings/99999999999", status=404)
    await world.call("admin", "GET", "/bookings/2147483647", status=404)


async def test_no_patient_data_in_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await world.call("admin", "GET", "/bookings?patient=Testowa1&pesel=80050112344")
    await world.call("admin", "GET", "/bookings?pesel=80050112345", status=400)
    assert "GET /api/v1/bookings" in caplog.text  # the access log ran
    assert "Testowa1" not in caplog.text
    assert "8005011234" not in caplog.text


async def test_the_guard_and_the_e_referral_at_the_desk(world: World, db: Database) -> None:
    """With the clinic's guard on, a second visit of a service is 409 naming the first; an
    e-referral is kept as read, a malformed one is 400 without being repeated."""
    c = world.desk.clinic
    await switch_guard(db)
    visit = {
        "patient_id": world.patient_id,
        "service_id": c.long_consult.id,
        "doctor_id": c.internist.id,
        "start_at": (TEN + timedelta(days=1)).isoformat(),
    }
    bad = await world.call(
        "admin", "POST", "/bookings", json={**visit, "e_referral": "1234 5678"}, status=400
    )
    assert bad["error"]["code"] == "e_referral_invalid"
    assert "5678" not in str(bad)
    first = await world.call(
        "admin", "POST", "/bookings", json={**visit, "e_referral": "1" * 44}, status=201
    )
    assert first["e_referral"] == "1" * 44
    again = {**visit, "start_at": (TEN + timedelta(days=2)).isoformat()}
    refused = await world.call("admin", "POST", "/bookings", json=again, status=409)
    assert refused["error"]["code"] == "already_booked"
    assert refused["error"]["booking_id"] == str(first["id"])
