"""The staff API's patients and escalations over real HTTP, on SQLite and PostgreSQL:
cards, contacts, linking codes, export, erasure; the inbox, take, reply, close."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.escalation import EscalationService
from core.models import Booking, Contact, EscalationMessage, OutboxEvent, Patient
from core.vocab import Channel, EventKind
from frontdesk import keys
from testkit.staff_api import World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def test_doctors_have_no_access_to_cards_or_the_inbox(world: World) -> None:
    for path in ("/patients", f"/patients/{world.patient_id}", "/escalations"):
        await world.call("doctor", "GET", path, status=403)


async def test_find_register_and_read_a_card(world: World) -> None:
    found = await world.call("registrar", "GET", "/patients?name=testowa1&phone=501%20000")
    assert [p["id"] for p in found["items"]] == [world.patient_id]
    created = await world.call(
        "registrar",
        "POST",
        "/patients",
        json={
            "first_name": "Jan",
            "last_name": "Nowy",
            "pesel": "80050112344",
            "phone": "+48 600 100 200",
        },
        status=201,
    )
    assert (created["birth_date"], created["sex"]) == ("1980-05-01", "F")
    assert [(c["kind"], c["value"]) for c in created["contacts"]] == [("phone", "+48600100200")]
    by_pesel = await world.call("admin", "GET", "/patients?pesel=80050112344")
    assert [p["id"] for p in by_pesel["items"]] == [created["id"]]
    twice = await world.call(
        "registrar",
        "POST",
        "/patients",
        json={"first_name": "Jan", "last_name": "Inny", "pesel": "80050112344"},
        status=400,
    )
    assert twice["error"]["field"] == "pesel"
    await world.call("admin", "GET", "/patients/999999", status=404)


async def test_contacts_added_and_removed(world: World) -> None:
    card = await world.call(
        "registrar",
        "POST",
        f"/patients/{world.patient_id}/contacts",
        json={"kind": "email", "value": "Ewa@Example.com"},
        status=201,
    )
    email = next(c for c in card["contacts"] if c["kind"] == "email")
    assert email["value"] == "ewa@example.com"
    await world.call(
        "registrar", "DELETE", f"/patients/{world.patient_id}/contacts/{email['id']}", status=204
    )
    card = await world.call("registrar", "GET", f"/patients/{world.patient_id}")
    assert [c["kind"] for c in card["contacts"]] == ["phone"]
    await world.call(
        "registrar", "DELETE", f"/patients/{world.patient_id}/contacts/{email['id']}", status=404
    )


async def test_a_linking_code_links_a_telegram_chat(world: World, db: Database) -> None:
    issued = await world.call(
        "registrar", "POST", f"/patients/{world.patient_id}/linking-code", status=201
    )
    assert len(issued["code"]) == 9
    assert issued["code"].isdigit()
    linking = world.client.app[keys.SERVICES].linking
    assert await linking.redeem(Channel.TELEGRAM, "4242", issued["code"]) == world.patient_id
    card = await world.call("registrar", "GET", f"/patients/{world.patient_id}")
    chat = next(c for c in card["contacts"] if c["kind"] == "telegram")
    await world.call(
        "registrar", "DELETE", f"/patients/{world.patient_id}/contacts/{chat['id']}", status=204
    )
    assert await linking.linked_patient(Channel.TELEGRAM, "4242") is None


async def test_export_holds_everything_and_erase_strips_it(
    world: World, db: Database, clock: FrozenClock
) -> None:
    cases = EscalationService(db, clock)
    case = await cases.open(
        Channel.TELEGRAM,
        "4242",
        reason="asked",
        language="pl",
        patient_id=world.patient_id,
        transcript=[("patient", "Mam pytanie o wizytę")],
    )
    exported = await world.call("registrar", "GET", f"/patients/{world.patient_id}/export")
    assert exported["patient"]["last_name"] == "Testowa1"
    assert {b["id"] for b in exported["bookings"]} == {world.booking_a, world.booking_b}
    assert [h["action"] for h in exported["booking_history"]] == ["booked", "booked"]
    assert exported["escalation_messages"][0]["text"] == "Mam pytanie o wizytę"

    async def with_e_referral(session: AsyncSession) -> None:  # its code form holds a PESEL
        await session.execute(
            update(Booking)
            .where(col(Booking.id) == world.booking_a)
            .values(e_referral="1234/44051401359")
        )

    await db.write(with_e_referral)
    await world.call("registrar", "POST", f"/patients/{world.patient_id}/erase", status=403)
    await world.call("admin", "POST", f"/patients/{world.patient_id}/erase", status=204)
    async with db.read() as session:
        patient = await session.get_one(Patient, world.patient_id)
        contacts = (
            await session.execute(select(Contact).where(col(Contact.patient_id) == patient.id))
        ).all()
        texts = (
            (
                await session.execute(
                    select(col(EscalationMessage.text)).where(
                        col(EscalationMessage.escalation_id) == case.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert (patient.first_name, patient.last_name, patient.birth_date) == ("erased", "erased", None)
    assert contacts == []
    assert texts == ["[erased]"]
    booking = await world.call("admin", "GET", f"/bookings/{world.booking_a}")
    assert (booking["status"], booking["patient_name"]) == ("cancelled", "erased erased")
    assert booking["e_referral"] is None
    history = await world.call("admin", "GET", f"/bookings/{world.booking_a}/history")
    assert history["items"][-1]["by"] == "Alicja Admin"
    found = await world.call("admin", "GET", "/bookings?patient=Testowa1")
    assert found["items"] == []


async def test_inbox_take_reply_close(world: World, db: Database, clock: FrozenClock) -> None:
    cases = EscalationService(db, clock)
    case = await cases.open(
        Channel.TELEGRAM,
        "4242",
        reason="asked",
        language="uk",
        patient_id=world.patient_id,
        branch_id=world.desk.clinic.branch.id,  # the branch the patient chose in the chat
        transcript=[("patient", "Допоможіть")],
    )
    inbox = await world.call("registrar", "GET", "/escalations")
    assert [(c["id"], c["status"], c["patient_name"], c["branch_id"]) for c in inbox["items"]] == [
        (case.id, "open", "Ewa Testowa1", world.desk.clinic.branch.id)
    ]
    # Another branch's registrar neither sees the case nor can take it.
    assert (await world.call("other_registrar", "GET", "/escalations"))["items"] == []
    await world.call("other_registrar", "POST", f"/escalations/{case.id}/take", status=404)
    taken = await world.call("registrar", "POST", f"/escalations/{case.id}/take")
    assert (taken["status"], taken["taken_by"], taken["taken_by_name"]) == (
        "taken",
        "reg",
        "Renata Rejestracja",
    )
    listed = await world.call("admin", "GET", "/escalations")
    assert listed["items"][0]["taken_by_name"] == "Renata Rejestracja"
    replied = await world.call(
        "registrar", "POST", f"/escalations/{case.id}/reply", json={"text": "Dzwonimy zaraz"}
    )
    assert [(m["author"], m["staff_name"], m["text"]) for m in replied["transcript"]] == [
        ("patient", None, "Допоможіть"),
        ("staff", "Renata Rejestracja", "Dzwonimy zaraz"),
    ]
    async with db.read() as session:
        event = (
            await session.execute(
                select(OutboxEvent).where(col(OutboxEvent.kind) == EventKind.ESCALATION_REPLY)
            )
        ).scalar_one()
    assert (event.payload["chat_id"], event.payload["channel"]) == ("4242", "telegram")
    closed = await world.call("registrar", "POST", f"/escalations/{case.id}/close")
    assert closed["status"] == "closed"
    assert (await world.call("registrar", "GET", "/escalations"))["items"] == []
    history = await world.call("registrar", "GET", "/escalations?status=closed")
    assert [c["id"] for c in history["items"]] == [case.id]
    again = await world.call(
        "registrar", "POST", f"/escalations/{case.id}/reply", json={"text": "x"}, status=409
    )
    assert again["error"]["code"] == "invalid_transition"
    await world.call("registrar", "GET", "/escalations/424242", status=404)


async def test_pages_of_the_inbox(world: World, db: Database, clock: FrozenClock) -> None:
    cases = EscalationService(db, clock)
    for chat in ("1", "2", "3"):
        await cases.open(Channel.WHATSAPP, chat, reason="not_understood", language="pl")
    first = await world.call("admin", "GET", "/escalations?limit=2")
    second = await world.call("admin", "GET", "/escalations?limit=2&offset=2")
    assert (len(first["items"]), first["has_more"]) == (2, True)
    assert (len(second["items"]), second["has_more"]) == (1, False)
    assert second["items"][0]["channel"] == Channel.WHATSAPP


async def test_dependents_registered_linked_and_read_from_both_sides(world: World) -> None:
    guardian = world.patient_id
    path = f"/patients/{guardian}/dependents"
    circle = await world.call(
        "registrar",
        "POST",
        path,
        json={"first_name": "Zosia", "last_name": "Testowa", "pesel": "20210100002"},
        status=201,
    )
    [kid] = circle["dependents"]
    assert (kid["relation"], kid["patient"]["birth_date"], kid["patient"]["sex"]) == (
        "child",
        "2020-01-01",
        "F",
    )
    bad = await world.call(
        "registrar",
        "POST",
        path,
        json={"first_name": "Zosia", "last_name": "Inna", "pesel": "20210100003"},
        status=400,
    )
    assert bad["error"]["code"] == "pesel_invalid"
    adult = await world.call(
        "registrar",
        "POST",
        "/patients",
        json={"first_name": "Jan", "last_name": "Stary", "birth_date": "1940-02-02"},
        status=201,
    )
    circle = await world.call(
        "registrar",
        "POST",
        f"{path}/existing",
        json={"relation": "ward", "patient_id": adult["id"]},
        status=201,
    )
    assert [d["patient"]["first_name"] for d in circle["dependents"]] == ["Jan", "Zosia"]
    theirs = await world.call("registrar", "GET", f"/patients/{kid['patient']['id']}/care")
    assert [g["patient"]["id"] for g in theirs["guardians"]] == [guardian]
    await world.call(
        "registrar",
        "POST",
        f"{path}/existing",
        json={"relation": "ward", "patient_id": guardian},
        status=400,
    )
    await world.call("doctor", "GET", f"/patients/{guardian}/care", status=403)
    await world.call("registrar", "GET", "/patients/999999/care", status=404)
