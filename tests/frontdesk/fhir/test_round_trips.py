"""A partner's system finds, holds, books and cancels through `/fhir` against the
running app, every answer a valid FHIR R4 resource; the booking is the chat's own
operation, under the partner's channel, for a card flagged for verification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.models import Booking, BookingChange, Hold, Patient
from core.vocab import BookingStatus, Channel
from testkit.factories import count_rows, warsaw_at
from testkit.fhir_api import PESEL, patient, start_fhir, valid

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def api(aiohttp_client, database_url, db, clock):
    return await start_fhir(aiohttp_client, database_url, db, clock)


async def test_the_capability_statement_is_public_and_names_the_ihe_operations(api):
    response = await api.client.get("/fhir/metadata")
    assert response.status == 200
    statement = valid(await response.json(content_type=None))
    [rest] = statement["rest"]
    appointment = next(r for r in rest["resource"] if r["type"] == "Appointment")
    assert {op["name"] for op in appointment["operation"]} == {"find", "hold", "book"}
    assert any(r["type"] == "Slot" for r in rest["resource"])


async def test_slots_are_searched_by_service_practitioner_location_and_time(api, clock):
    c = api.clinic
    day = warsaw_at(clock, 1, 0)
    bundle = await api.call(
        "GET",
        "/Slot",
        params=[
            ("service-type", "urn:frontdesk:service|CONS-L"),
            ("schedule.actor", f"Practitioner/{c.internist.id}"),
            ("schedule.actor", f"Location/{c.branch.id}"),
            ("start", "ge" + (day + timedelta(hours=10)).isoformat()),
            ("start", "lt" + (day + timedelta(hours=11)).isoformat()),
        ],
    )
    slots = [e["resource"] for e in bundle["entry"]]
    # 10:00-11:00 in Warsaw, 15-minute slots; a 30-minute visit fits at each but 11:45's.
    assert [s["start"][11:16] for s in slots] == ["09:00", "09:15", "09:30", "09:45"]
    first = slots[0]
    assert first["id"] == f"{c.internist.id}-{c.branch.id}-202612020900"  # the SMART feed's
    assert first["schedule"]["reference"] == f"Schedule/{c.internist.id}-{c.branch.id}"
    assert first["end"][11:16] == "09:30"  # as long as the service's visit
    assert bundle["total"] == 4
    schedule = await api.call("GET", "/" + first["schedule"]["reference"])
    assert [a["reference"] for a in schedule["actor"]] == [
        f"Practitioner/{c.internist.id}",
        f"Location/{c.branch.id}",
    ]
    assert {t["coding"][0]["code"] for t in schedule["serviceType"]} == {"CONS", "CONS-L", "USG"}
    await api.call("GET", f"/Schedule/999-{c.branch.id}", status=404)


async def test_the_catalog_names_the_codes_a_search_takes(api):
    bundle = await api.call("GET", "/HealthcareService")
    listed = {e["resource"]["type"][0]["coding"][0]["code"]: e["resource"] for e in bundle["entry"]}
    assert set(listed) == {"CONS", "CONS-L", "PED", "USG"}
    assert listed["PED"]["specialty"][0]["coding"][0]["code"] == "paediatrics"


async def test_find_hold_book_cancel_round_trip(api, db, clock):
    c = api.clinic
    options = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="2")
    assert len(options) == 2
    option = options[0]
    assert option["status"] == "proposed"
    assert option["start"] == "2026-12-02T08:00:00Z"
    practitioner = option["participant"][0]["actor"]
    assert practitioner["reference"] == f"Practitioner/{c.internist.id}"
    assert practitioner["display"] == "lek. Anna Kowalska"

    held = await api.hold(option["id"])
    assert held["status"] == "pending"
    assert held["id"].startswith("hold-")
    # Held, the time is no longer offered to anyone, this partner included.
    again = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10))
    assert option["start"] not in [o["start"] for o in again]

    pesel = {"system": PESEL, "value": "80050101203"}
    [entry] = (await api.book(held["id"], patient(identifier=[pesel])))["entry"]
    appointment = entry["resource"]
    assert appointment["status"] == "booked"
    assert appointment["start"] == option["start"]
    assert await count_rows(db, Hold) == 0  # the hold redeemed by the booking

    booking_id = int(appointment["id"])
    async with db.read() as session:
        booking = await session.get(Booking, booking_id)
        card = await session.get(Patient, booking.patient_id)
        [change] = (
            await session.execute(
                select(BookingChange).where(col(BookingChange.booking_id) == booking_id)
            )
        ).scalars()
    assert booking.source == Channel.LUXMED
    assert change.actor_kind == "partner"
    assert (card.last_name, card.pesel) == ("Zielińska", "80050101203")
    assert card.needs_verification
    read = await api.call("GET", f"/Appointment/{booking_id}")
    assert read["participant"][-1]["actor"] == {"reference": f"Patient/{card.id}"}

    # The same PESEL again: the same card, no second one.
    later = await api.find(warsaw_at(clock, 2, 9), warsaw_at(clock, 2, 10), _count="1")
    second = (await api.book(later[0]["id"], patient(identifier=[pesel])))["entry"][0]
    async with db.read() as session:
        assert (await session.get(Booking, int(second["resource"]["id"]))).patient_id == card.id

    [cancelled] = (await api.cancel(appointment["id"]))["entry"]
    assert cancelled["resource"]["status"] == "cancelled"
    assert cancelled["resource"]["cancelationReason"] == {"text": "the patient cannot come"}
    async with db.read() as session:
        assert (await session.get(Booking, booking_id)).status is BookingStatus.CANCELLED
    # The time is free again, and cancelling twice is a conflict.
    assert option["start"] in [
        o["start"] for o in await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10))
    ]
    outcome = await api.cancel(appointment["id"], status=409)
    assert outcome["issue"][0]["code"] == "conflict"


async def test_a_hold_given_back_frees_the_time(api, db, clock):
    [option] = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="1")
    held = await api.hold(option["id"])
    [entry] = (await api.cancel(held["id"]))["entry"]
    assert entry["resource"]["status"] == "cancelled"
    assert await count_rows(db, Hold) == 0
    await api.call("GET", f"/Appointment/{held['id']}", status=404)


async def test_an_expired_hold_is_not_booked(api, db, clock):
    [option] = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="1")
    held = await api.hold(option["id"])
    clock.advance(timedelta(minutes=6))  # HOLD_MINUTES is 5
    outcome = await api.book(held["id"], status=410)
    assert outcome["issue"][0]["code"] == "expired"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "hold_expired"
    assert await count_rows(db, Booking) == 0
    assert await count_rows(db, Patient) == 0  # nothing of the patient kept either
    # The option itself is still bookable: the expired hold no longer keeps it.
    [entry] = (await api.book(option["id"]))["entry"]
    assert entry["resource"]["status"] == "booked"


async def test_a_forged_or_wrong_token_is_refused(api, clock):
    path = "/Slot?service-type=CONS"
    real = api.tokens["luxmed"]
    api.tokens["forged"] = real[:-2] + ("xx" if not real.endswith("xx") else "yy")
    for who in ("forged", "own", ""):  # made up, a member's own, none
        outcome = await api.call("GET", path, who=who, status=401)
        assert outcome["issue"][0]["code"] == "login"
    # ... and a partner's token opens nothing of the staff API.
    response = await api.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {api.tokens['luxmed']}"}
    )
    assert response.status == 401


async def test_another_partners_appointment_is_not_found(api, clock):
    [option, other] = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="2")
    [entry] = (await api.book(option["id"]))["entry"]
    mine = entry["resource"]["id"]
    held = await api.hold(other["id"])
    for appointment in (mine, held["id"]):
        await api.call("GET", f"/Appointment/{appointment}", who="ondoc", status=404)
        await api.cancel(appointment, who="ondoc", status=404)
    await api.book(held["id"], who="ondoc", status=404)  # its hold is not ondoc's to redeem
    assert (await api.call("GET", f"/Appointment/{mine}"))["status"] == "booked"
