"""Staff edit the catalog's translations through the API (admins only): what they store is
what the patient's language reads, Polish the fallback; bad input refused, nothing stored."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from core.clinic.catalog import Catalog
from core.clinic.names import local_name
from core.clock import FrozenClock
from core.db.database import Database
from testkit.staff_api import World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def test_an_admin_translates_a_service_and_patients_read_it(
    world: World, db: Database
) -> None:
    consult = world.desk.clinic.consult.id
    names = {"en": "Consultation", "uk": "Консультація", "ru": "Консультация"}
    path = f"/services/{consult}/names"
    await world.call("registrar", "PUT", path, json={"names": names}, status=403)
    changed = await world.call("admin", "PUT", path, json={"names": names})
    assert changed["names"] == names
    listed = await world.call("registrar", "GET", "/services")
    assert {s["id"]: s["names"] for s in listed["items"]}[consult] == names
    [service] = [s for s in await Catalog(db).services() if s.id == consult]
    assert local_name(service, "uk") == "Консультація"
    assert local_name(service, "pl") == "Konsultacja"

    await world.call("admin", "PUT", path, json={"names": {"en": ""}})  # empty: Polish again
    [service] = [s for s in await Catalog(db).services() if s.id == consult]
    assert local_name(service, "en") == "Konsultacja"


async def test_an_admin_translates_a_specialty(world: World, db: Database) -> None:
    specialty = world.desk.clinic.consult.specialty_id
    changed = await world.call(
        "admin", "PUT", f"/specialties/{specialty}/names", json={"names": {"en": "Internal"}}
    )
    assert (changed["name"], changed["names"]) == ("Choroby wewnętrzne", {"en": "Internal"})
    [internal] = [s for s in await Catalog(db).specialties() if s.id == specialty]
    assert local_name(internal, "en") == "Internal"


@pytest.mark.parametrize(
    ("names", "status"),
    [
        ({"de": "Beratung"}, 400),  # a language we do not speak
        ({"en": "x" * 201}, 400),
        ({"en": "Con\u0000sultation"}, 400),  # the text guard
        ({"en": "a", "uk": "b", "ru": "c", "pl": "d", "de": "e"}, 400),  # five languages
    ],
)
async def test_bad_names_are_refused_and_nothing_is_stored(
    world: World, db: Database, names: dict[str, str], status: int
) -> None:
    consult = world.desk.clinic.consult.id
    await world.call(
        "admin", "PUT", f"/services/{consult}/names", json={"names": names}, status=status
    )
    [service] = [s for s in await Catalog(db).services() if s.id == consult]
    assert service.names == {}


async def test_an_unknown_service_is_not_found(world: World) -> None:
    await world.call("admin", "PUT", "/services/999999/names", json={"names": {}}, status=404)


async def test_an_admin_translates_a_branch_and_a_doctors_title(world: World, db: Database) -> None:
    clinic = world.desk.clinic
    assert clinic.branch.id is not None
    assert clinic.internist.id is not None
    branch_path = f"/branches/{clinic.branch.id}/names"
    await world.call("registrar", "PUT", branch_path, json={"names": {"en": "x"}}, status=403)
    changed = await world.call("admin", "PUT", branch_path, json={"names": {"uk": "Мокотув"}})
    assert (changed["name"], changed["names"]) == ("Mokotów", {"uk": "Мокотув"})
    branch = await Catalog(db).branch(clinic.branch.id)
    assert (local_name(branch, "uk"), local_name(branch, "en")) == ("Мокотув", "Mokotów")

    doctor_path = f"/doctors/{clinic.internist.id}/titles"
    changed = await world.call("admin", "PUT", doctor_path, json={"titles": {"en": "Dr"}})
    assert (changed["title"], changed["titles"]) == ("lek.", {"en": "Dr"})
    names = await Catalog(db).doctor_names("en")
    assert names[clinic.internist.id] == "Dr Anna Kowalska"
    assert (await Catalog(db).doctor_names("uk"))[clinic.internist.id] == "lek. Anna Kowalska"
    await world.call("admin", "PUT", doctor_path, json={"titles": {"de": "Dr."}}, status=400)
    await world.call("admin", "PUT", "/doctors/999999/titles", json={"titles": {}}, status=404)
