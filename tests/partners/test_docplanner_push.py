"""Docplanner's pushes through the real app: only an allowed source or the agreed key gets
in, a notification is stored once and applied, a blocking request is answered from our
calendar, and hostile bodies are refused without storing anything."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.models import Booking, PartnerNotification, Patient
from core.partners.desk import PartnerDesk
from core.vocab import Channel, MappingKind
from frontdesk.app import create_app
from frontdesk.settings import Settings
from testkit.factories import adult, small_clinic, warsaw_at
from testkit.fakes.docplanner.server import CLIENT_ID, CLIENT_SECRET, FakeDocplanner

API_KEY = "agreed-with-docplanner-0123456789"
ADDRESS = "1001/301/9001"
PATIENT = {"name": "Jan", "surname": "Portalowy", "email": "jan@example.com"}


@pytest.fixture
async def world(aiohttp_client, aiohttp_server, db, database_url, clock):
    """The app with Docplanner configured (its client reads the address's services to
    resolve what a push names) and the push key agreed."""
    clinic = await small_clinic(db, clock)
    desk = PartnerDesk(db, clock)
    await desk.map("znanylekarz", MappingKind.DOCTOR, clinic.internist.id, ADDRESS)
    await desk.map("znanylekarz", MappingKind.SERVICE, clinic.consult.id, "45")
    fake = FakeDocplanner(clock)
    fake.add_address("301", "9001", "Anna Kowalska", {"as-1": "45"})
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")

    async def client(**settings):
        app = create_app(
            Settings(
                database_url=database_url,
                docplanner_push_api_key=API_KEY,
                docplanner_base_url=fake.url,
                docplanner_client_id=CLIENT_ID,
                docplanner_client_secret=CLIENT_SECRET,
                **settings,
            ),
            clock=clock,
        )
        return await aiohttp_client(app)

    return clinic, fake, client


async def _stored(db):
    async with db.read() as session:
        return (
            await session.execute(select(func.count()).select_from(PartnerNotification))
        ).scalar_one()


async def _bookings(db):
    async with db.read() as session:
        return list((await session.execute(select(Booking))).scalars())


async def _settled(db, count):
    """The app applies pushes in the background: wait (briefly) until it did."""
    for _ in range(100):
        async with db.read() as session:
            pending = (
                await session.execute(
                    select(func.count())
                    .select_from(PartnerNotification)
                    .where(col(PartnerNotification.applied_at).is_(None))
                )
            ).scalar_one()
        if pending == 0 and await _stored(db) == count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the pushed notifications were not applied")


URL = "/partners/znanylekarz/notifications"


async def test_a_push_without_the_key_or_from_elsewhere_is_refused(world, db, clock):
    _, fake, client = world
    raw = fake.patient_books(ADDRESS, warsaw_at(clock, 2, 9), "45", PATIENT)
    http = await client()
    for headers in ({}, {"X-Api-Key": "wrong"}, {"X-Api-Key": API_KEY[:-1]}):
        response = await http.post(URL, json=raw, headers=headers)
        assert response.status == 401
    assert await _stored(db) == 0

    # The loopback network allowed instead of a key: accepted without one.
    http = await client(docplanner_push_sources="127.0.0.0/8, ::1/128")
    response = await http.post(URL, json=raw)
    assert response.status == 200


async def test_a_pushed_booking_is_stored_once_and_applied_once(world, db, clock):
    _, fake, client = world
    at = warsaw_at(clock, 2, 9)
    raw = fake.patient_books(ADDRESS, at, "45", PATIENT)
    http = await client()
    for _ in range(3):  # Docplanner may push it again
        response = await http.post(URL, json=raw, headers={"X-Api-Key": API_KEY})
        assert response.status == 200
    await _settled(db, 1)
    [booking] = await _bookings(db)
    assert booking.start_at == at
    assert booking.source is Channel.ZNANYLEKARZ


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"name": 5}', b'{"name": "slot-booked", "data": {}}'],
)
async def test_hostile_bodies_are_refused_and_nothing_is_stored(world, db, body):
    _, _, client = world
    http = await client()
    response = await http.post(
        URL, data=body, headers={"X-Api-Key": API_KEY, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert await _stored(db) == 0


async def test_a_blocking_slot_booking_is_refused_when_the_time_is_taken_here(world, db, clock):
    clinic, fake, client = world
    taken = warsaw_at(clock, 2, 9)
    pid = await adult(db, clock)
    await BookingService(db, clock).book(
        Actor.patient(pid, Channel.TELEGRAM),
        VisitRequest(pid, clinic.consult.id, clinic.internist.id, taken),
    )
    http = await client()
    headers = {"X-Api-Key": API_KEY}
    response = await http.post(
        URL, json=fake.slot_booking_request(ADDRESS, taken, "45", PATIENT), headers=headers
    )
    assert response.status == 400  # any non-2xx refuses; the document names 400
    assert (await response.json())["error_code"] == 1

    free = warsaw_at(clock, 2, 10)
    response = await http.post(
        URL, json=fake.slot_booking_request(ADDRESS, free, "45", PATIENT), headers=headers
    )
    assert response.status == 200
    assert sorted(b.start_at for b in await _bookings(db)) == [taken, free]


async def test_a_push_with_unstorable_characters_is_cleaned_not_a_500(world, db, clock):
    """NUL, control characters and lone surrogates (which PostgreSQL cannot store) in a
    pushed notification's names and ids are dropped by the one text guard: stored,
    applied, nothing poisoned."""
    _, fake, client = world
    at = warsaw_at(clock, 2, 9)
    raw = fake.patient_books(ADDRESS, at, "45", PATIENT)
    visit = raw["data"]["visit_booking"]
    visit["patient"] |= {"name": "Ja\u0000n\ud800", "surname": "Por\x07talowy"}
    visit["id"] = visit["id"] + "\u0000"
    http = await client()
    response = await http.post(URL, json=raw, headers={"X-Api-Key": API_KEY})
    assert response.status == 200
    await _settled(db, 1)
    [booking] = await _bookings(db)
    assert booking.start_at == at
    async with db.read() as session:
        patient = await session.get(Patient, booking.patient_id)
    assert (patient.first_name, patient.last_name) == ("Jan", "Portalowy")
