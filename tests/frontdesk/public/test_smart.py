"""The SMART Scheduling Links feed: a manifest and NDJSON files of valid FHIR R4
resources (checked by `fhir.resources`), cacheable, honouring bookings and each slot's
availability."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot
from sqlalchemy import update
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clinic.catalog import Catalog
from core.clinic.translations import CatalogNames
from core.models import Slot
from core.schedule.feed import FeedService
from core.vocab import Availability, Channel
from frontdesk.app import create_app
from frontdesk.settings import Settings
from testkit.factories import adult, small_clinic

BASE = "https://clinic.example"
MODELS = {"Location": Location, "Schedule": Schedule, "Slot": FhirSlot}
EXT = "http://fhir-registry.smarthealthit.org/StructureDefinition/"
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
async def http(aiohttp_client, db, database_url, clock):
    await small_clinic(db, clock, days=7)
    settings = Settings(
        database_url=database_url,
        public_base_url=BASE,
        telegram_bot_username="frontdesk_demo_bot",
        smart_feed_days=7,
    )
    return await aiohttp_client(create_app(settings, clock=clock))


async def test_the_manifest_points_at_valid_fhir_resources_that_link_up(http):
    response = await http.get("/smart/$bulk-publish")
    assert response.status == 200
    manifest = await response.json()
    assert manifest["request"] == f"{BASE}/smart/$bulk-publish"
    assert manifest["error"] == []
    assert [o["type"] for o in manifest["output"]] == ["Location", "Schedule", "Slot"]

    found: dict[str, list] = {}
    for output in manifest["output"]:
        path = output["url"].removeprefix(BASE)
        answer = await http.get(path)
        assert answer.status == 200
        assert answer.content_type == "application/fhir+ndjson"
        lines = (await answer.text()).splitlines()
        model = MODELS[output["type"]]
        found[output["type"]] = [model.model_validate(json.loads(line)) for line in lines]

    [location] = found["Location"]
    assert location.name == "Mokotów"
    assert location.telecom[0].value == "+48221000000"
    schedules = {s.id: s for s in found["Schedule"]}
    assert len(schedules) == 2  # the two doctors at the one branch
    assert all(s.actor[0].reference == f"Location/{location.id}" for s in schedules.values())
    slots = found["Slot"]
    # 7 days from Tuesday 08:00: 5 weekdays x (16 internist + 6 paediatrician) free slots.
    assert len(slots) == 5 * (16 + 6)
    for slot in slots:
        assert slot.status == "free"
        assert slot.schedule.reference.removeprefix("Schedule/") in schedules
        ext = {e.url: e for e in slot.extension}
        assert ext[EXT + "booking-phone"].valueString == "+48221000000"
        link = ext[EXT + "booking-deep-link"].valueUrl
        assert link.startswith("https://t.me/frontdesk_demo_bot?start=slot-")
        assert len(link.partition("start=")[2]) <= 64


async def test_the_feed_is_cacheable(http):
    first = await http.get("/smart/slots.ndjson")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = await http.get("/smart/slots.ndjson", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    other = await http.get("/smart/slots.ndjson", headers={"If-None-Match": '"stale"'})
    assert other.status == 200
    assert (await http.get("/smart/secrets.ndjson")).status == 404


async def test_booked_and_partner_only_slots_are_not_published(db, clock):
    clinic = await small_clinic(db, clock, days=7)
    feed = FeedService(db, clock)
    before = {(s.schedule_id, s.start_at) for s in (await feed.snapshot(7)).slots}
    tomorrow = clock.now().date() + timedelta(days=1)
    booked = datetime.combine(tomorrow, time(9), tzinfo=WARSAW)
    hidden = datetime.combine(tomorrow, time(10), tzinfo=WARSAW)
    pid = await adult(db, clock)
    await BookingService(db, clock).book(
        Actor.patient(pid, Channel.TELEGRAM),
        VisitRequest(pid, clinic.consult.id, clinic.internist.id, booked),
    )

    async def partner_only(session):
        await session.execute(
            update(Slot)
            .where(col(Slot.doctor_id) == clinic.internist.id, col(Slot.start_at) == hidden)
            .values(availability=int(Availability.ZNANYLEKARZ))
        )

    await db.write(partner_only)
    after = {(s.schedule_id, s.start_at) for s in (await feed.snapshot(7)).slots}
    schedule = f"{clinic.internist.id}-{clinic.branch.id}"
    assert before - after == {(schedule, booked), (schedule, hidden)}
    assert after < before


async def test_a_forged_host_never_reaches_the_feed(http):
    forged = {"Host": "evil.example"}
    manifest = await (await http.get("/smart/$bulk-publish", headers=forged)).json()
    assert {o["url"].split("/smart/")[0] for o in manifest["output"]} == {BASE}
    for name in ("locations", "schedules", "slots"):
        body = await (await http.get(f"/smart/{name}.ndjson", headers=forged)).text()
        assert "evil.example" not in body


async def test_specialties_carry_their_translations(http, db):
    [internal] = [s for s in await Catalog(db).specialties() if s.code == "internal"]
    assert internal.id is not None
    await CatalogNames(db).set_specialty_names(
        internal.id, {"en": "Internal medicine", "uk": "Внутрішні хвороби"}
    )
    lines = (await (await http.get("/smart/schedules.ndjson")).text()).splitlines()
    schedules = [Schedule.model_validate(json.loads(line)) for line in lines]
    [coding] = [
        c for s in schedules for t in s.serviceType for c in t.coding if c.code == "internal"
    ]
    assert coding.display == "Choroby wewnętrzne"  # Polish, every language's fallback
    translations = {
        e.extension[0].valueCode: e.extension[1].valueString
        for e in coding.display__ext.extension
        if e.url == "http://hl7.org/fhir/StructureDefinition/translation"
    }
    assert translations == {"en": "Internal medicine", "uk": "Внутрішні хвороби"}


def _translations(element) -> dict[str, str]:
    return {
        e.extension[0].valueCode: e.extension[1].valueString
        for e in element.extension
        if e.url == "http://hl7.org/fhir/StructureDefinition/translation"
    }


async def test_branch_names_and_doctor_titles_carry_their_translations(http, db):
    [branch] = await Catalog(db).branches()
    internist = next(d for d in await Catalog(db).doctors() if d.last_name == "Kowalska")
    assert branch.id is not None
    assert internist.id is not None
    await CatalogNames(db).set_branch_names(branch.id, {"en": "Mokotow branch", "uk": "Мокотів"})
    await CatalogNames(db).set_doctor_titles(internist.id, {"en": "Dr", "uk": "лікар"})

    lines = (await (await http.get("/smart/locations.ndjson")).text()).splitlines()
    [location] = [Location.model_validate(json.loads(line)) for line in lines]
    assert location.name == "Mokotów"  # Polish, every language's fallback
    assert _translations(location.name__ext) == {"en": "Mokotow branch", "uk": "Мокотів"}

    lines = (await (await http.get("/smart/schedules.ndjson")).text()).splitlines()
    schedules = {s.id: s for s in (Schedule.model_validate(json.loads(line)) for line in lines)}
    schedule = schedules[f"{internist.id}-{branch.id}"]
    assert schedule.comment == "lek. Anna Kowalska"
    assert _translations(schedule.comment__ext) == {
        "en": "Dr Anna Kowalska",
        "uk": "лікар Anna Kowalska",
    }
    others = [s for key, s in schedules.items() if key != schedule.id]
    assert others
    assert all(s.comment__ext is None for s in others)  # no translation: no extension
