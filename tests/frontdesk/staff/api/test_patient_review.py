"""The staff API's flagged cards over real HTTP, on SQLite and PostgreSQL: found by date of
birth and flag, verified, merged into the patient's card with their visit; a doctor may
do neither."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import update
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Patient
from testkit.staff_api import World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def flagged_card(world: World, db: Database, phone: str) -> int:
    """A card as the phone line leaves it for an unknown caller: flagged."""
    created = await world.call(
        "registrar",
        "POST",
        "/patients",
        json={"first_name": "Nieznany", "last_name": "Rozmówca", "phone": phone},
        status=201,
    )
    patient_id: int = created["id"]
    await db.write(
        lambda s: s.execute(
            update(Patient).where(col(Patient.id) == patient_id).values(needs_verification=True)
        )
    )
    return patient_id


async def test_a_flagged_card_is_found_and_verified(world: World, db: Database) -> None:
    flagged = await flagged_card(world, db, "+48 601 234 567")
    listed = await world.call("registrar", "GET", "/patients?flagged=true")
    assert [p["id"] for p in listed["items"]] == [flagged]
    by_birth = await world.call("registrar", "GET", "/patients?born=1980-05-01")
    assert [p["id"] for p in by_birth["items"]] == [world.patient_id]
    await world.call("doctor", "POST", f"/patients/{flagged}/verify", status=403)
    verified = await world.call("registrar", "POST", f"/patients/{flagged}/verify")
    assert verified["needs_verification"] is False
    await world.call("registrar", "POST", "/patients/999999/verify", status=404)


async def test_a_flagged_card_is_merged_into_the_patients_own(world: World, db: Database) -> None:
    flagged = await flagged_card(world, db, "+48 601 234 568")
    await world.call(
        "registrar", "POST", f"/patients/{flagged}/merge", json={"into": flagged}, status=400
    )
    await world.call(
        "doctor", "POST", f"/patients/{flagged}/merge", json={"into": world.patient_id}, status=403
    )
    kept = await world.call(
        "registrar", "POST", f"/patients/{flagged}/merge", json={"into": world.patient_id}
    )
    assert kept["id"] == world.patient_id
    assert "+48601234568" in [c["value"] for c in kept["contacts"]]
    await world.call("registrar", "GET", f"/patients/{flagged}", status=404)
