"""The staff API's partner desk over real HTTP, on SQLite and PostgreSQL: operations a fake
Docplanner refused, listed with its message, retried and discarded; mappings made and
undone; each role as allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pytest_aiohttp import AiohttpClient

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import Channel
from testkit.partner_setup import Rig, docplanner_rig
from testkit.staff_api import TEN, World, log_in, start_world

ZL = "/partners/znanylekarz"


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


@pytest.fixture
async def rig(world: World, db: Database, clock: FrozenClock) -> AsyncIterator[Rig]:
    """The desk's internist mapped onto a fake Docplanner, its calendar published."""
    async with docplanner_rig(db, clock, clinic=world.desk.clinic) as rig:
        await rig.sync.publish_all(Channel.ZNANYLEKARZ)
        await rig.settle()
        yield rig


async def refused(rig: Rig, world: World, *hours: int) -> None:
    """Visits booked here at TEN + `hours`, each refused by the partner (HTTP 422)."""
    c = world.desk.clinic
    assert c.consult.id is not None
    assert c.internist.id is not None
    actor = Actor.patient(world.patient_id, Channel.TELEGRAM)
    for hour in hours:
        at = TEN + timedelta(hours=hour)
        await rig.booking.book(
            actor, VisitRequest(world.patient_id, c.consult.id, c.internist.id, at)
        )
        rig.fake.fail_next(422)
        await rig.settle()


async def test_refusals_are_read_by_the_desk_and_settled_by_an_admin(
    world: World, rig: Rig
) -> None:
    await refused(rig, world, 0, 1)
    first = await world.call("registrar", "GET", f"{ZL}/failures?limit=1")
    assert first["has_more"] is True
    [failure] = first["items"]
    assert (failure["kind"], failure["error"]) == ("book", "HTTP 422: injected failure")
    assert failure["subject"] == f"booking:{failure['booking_id']}"
    second = await world.call("registrar", "GET", f"{ZL}/failures?limit=1&offset=1")
    assert second["has_more"] is False
    assert second["items"][0]["kind"] == "book"
    other = second["items"][0]["id"]

    for who in ("registrar", "doctor"):
        await world.call(who, "POST", f"{ZL}/failures/{failure['id']}/retry", status=403)
        await world.call(who, "POST", f"{ZL}/failures/{other}/discard", status=403)
    await world.call("doctor", "GET", f"{ZL}/failures", status=403)

    await world.call("admin", "POST", f"{ZL}/failures/{failure['id']}/retry", status=204)
    await world.call("admin", "POST", f"{ZL}/failures/{other}/discard", status=204)
    await rig.settle()
    assert (await world.call("admin", "GET", f"{ZL}/failures"))["items"] == []
    # The one retried is there now, the one discarded never will be.
    assert {b.start for b in rig.fake.active()} & {TEN, TEN + timedelta(hours=1)} == {TEN}
    gone = await world.call("admin", "POST", f"{ZL}/failures/{other}/retry", status=404)
    assert gone["error"] == {"code": "not_found", "message": "no such failed operation"}


async def test_a_failure_is_settled_only_under_its_own_partner(world: World, rig: Rig) -> None:
    await refused(rig, world, 0)
    [failure] = (await world.call("admin", "GET", f"{ZL}/failures"))["items"]
    await world.call(
        "admin", "POST", f"/partners/luxmed/failures/{failure['id']}/discard", status=404
    )
    assert len((await world.call("admin", "GET", f"{ZL}/failures"))["items"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/partners/nowhere/failures"),
        ("POST", "/partners/nowhere/failures/1/retry"),
        ("GET", "/partners/telegram/mappings"),
        ("GET", "/partners/nowhere/unmapped"),
        ("DELETE", "/partners/nowhere/mappings/doctor/1"),
    ],
)
async def test_an_unknown_partner_is_a_stable_404(world: World, method: str, path: str) -> None:
    body = await world.call("admin", method, path, status=404)
    assert body["error"] == {"code": "not_found", "message": "no such partner"}


async def test_mappings_made_replaced_and_undone_by_an_admin(world: World) -> None:
    c = world.desk.clinic
    doctor = f"{ZL}/mappings/doctor/{c.internist.id}"
    unmapped = await world.call("registrar", "GET", f"{ZL}/unmapped")
    assert {"kind": "doctor", "local_id": c.internist.id, "name": c.internist.display_name} in (
        unmapped["items"]
    )

    await world.call("registrar", "PUT", doctor, json={"remote_id": "1/2/3"}, status=403)
    made = await world.call("admin", "PUT", doctor, json={"remote_id": " 1/2/3 "})
    assert made == {"kind": "doctor", "local_id": c.internist.id, "remote_id": "1/2/3"}
    await world.call("admin", "PUT", doctor, json={"remote_id": "1/2/4"})
    listed = await world.call("registrar", "GET", f"{ZL}/mappings")
    assert listed["items"] == [{"kind": "doctor", "local_id": c.internist.id, "remote_id": "1/2/4"}]
    still = await world.call("admin", "GET", f"{ZL}/unmapped")
    assert all(u["local_id"] != c.internist.id for u in still["items"] if u["kind"] == "doctor")

    taken = await world.call(
        "admin",
        "PUT",
        f"{ZL}/mappings/doctor/{world.desk.other_doctor.id}",
        json={"remote_id": "1/2/4"},
        status=400,
    )
    assert taken["error"]["field"] == "remote_id"
    await world.call(
        "admin", "PUT", f"{ZL}/mappings/doctor/99999", json={"remote_id": "x"}, status=404
    )
    kind = await world.call(
        "admin", "PUT", f"{ZL}/mappings/room/1", json={"remote_id": "x"}, status=404
    )
    assert kind["error"]["message"] == "no such kind of mapping"
    await world.call("admin", "PUT", doctor, json={"remote_id": "   "}, status=400)

    await world.call("registrar", "DELETE", doctor, status=403)
    await world.call("admin", "DELETE", doctor, status=204)
    assert (await world.call("admin", "GET", f"{ZL}/mappings"))["items"] == []
    await world.call("doctor", "GET", f"{ZL}/mappings", status=403)
    await world.call("doctor", "GET", f"{ZL}/unmapped", status=403)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{ZL}/failures"),
        ("POST", f"{ZL}/failures/1/retry"),
        ("POST", f"{ZL}/failures/1/discard"),
        ("GET", f"{ZL}/mappings"),
        ("PUT", f"{ZL}/mappings/doctor/1"),
        ("DELETE", f"{ZL}/mappings/doctor/1"),
        ("GET", f"{ZL}/unmapped"),
    ],
)
async def test_no_credentials_no_answer(world: World, method: str, path: str) -> None:
    response = await world.client.request(method, "/api/v1" + path, json={"remote_id": "x"})
    assert response.status == 401


async def test_cookie_writes_need_the_csrf_token(world: World) -> None:
    await log_in(world, login="admin")
    csrf = (await (await world.client.get("/api/v1/me")).json())["csrf_token"]
    doctor = f"/api/v1{ZL}/mappings/doctor/{world.desk.clinic.internist.id}"
    refused = await world.client.put(doctor, json={"remote_id": "1/2/3"})
    assert refused.status == 403
    assert (await refused.json())["error"]["reason"] == "csrf"
    forged = await world.client.post(f"/api/v1{ZL}/failures/1/retry")
    assert forged.status == 403
    sent = await world.client.post(f"/api/v1{ZL}/failures/1/retry", headers={"X-CSRF-Token": csrf})
    assert sent.status == 404  # past the CSRF check: there is no such failure
    done = await world.client.put(
        doctor, json={"remote_id": "1/2/3"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status == 200
