"""The booking grid (frontdesk/staff/dashboard/grid.py) over HTTP, on SQLite and PostgreSQL:
a branch's day in 5-minute cells with its visits and free times, a walk-in registered and
booked from a free time as the member, an existing card chosen by phone, PESEL or date of
birth, restrictions refused with the form kept, and a visit moved after a confirmation."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, BookingChange, Patient
from testkit.dashboard import WEDNESDAY_8, Client, book, log_in
from testkit.factories import adult
from testkit.staff_desk import Desk

THURSDAY_8 = "2026-12-03T07:00:00+00:00"


def pick(doctor_id: int | None, start: str, **more: object) -> str:
    return urlencode({"doctor": doctor_id, "start": start, **more})


async def test_the_day_shows_visits_and_free_times_of_the_branch(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await book(db, clock, clinic, clinic.other_doctor.id, 2)
    await log_in(client, "reg")
    day = await client.get("/staff/grid?day=2026-12-02")
    text = await day.text()
    assert day.status == 200
    assert "Ewa Testowa1" in text
    assert "Testowa2" not in text  # Wola is not this registrar's branch
    assert "Zieliński" not in text
    # The visit takes 08:00; 08:15 is free to book with the internist.
    free = pick(clinic.clinic.internist.id, "2026-12-02T07:15:00+00:00").replace("&", "&amp;")
    assert f"/staff/grid/book?{free}" in text
    week = await (await client.get("/staff/grid?day=2026-12-02&view=week")).text()
    assert "1 visit" in week
    assert (await client.get("/staff/grid?day=soon")).status == 400


async def test_a_walk_in_is_registered_and_booked_as_the_member(
    client: Client, clinic: Desk, db: Database
) -> None:
    token = await log_in(client, "reg")
    c = clinic.clinic
    form = await client.get(f"/staff/grid/book?{pick(c.internist.id, THURSDAY_8)}")
    assert form.status == 200
    assert "Konsultacja" in await form.text() or str(c.consult.id) in await form.text()
    done = await client.post(
        "/staff/grid/book",
        data={
            "csrf_token": token,
            "doctor": str(c.internist.id),
            "start": THURSDAY_8,
            "service": str(c.consult.id),
            "first_name": "Jan",
            "last_name": "Przechodni",
            "phone": "601 234 567",
        },
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    async with db.read() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
        patient = await session.get_one(Patient, booking.patient_id)
        change = (
            await session.execute(
                select(BookingChange).where(col(BookingChange.booking_id) == booking.id)
            )
        ).scalar_one()
    assert done.headers["Location"] == f"/staff/bookings/{booking.id}"
    assert booking.start_at.isoformat() == THURSDAY_8
    assert (patient.first_name, patient.last_name) == ("Jan", "Przechodni")
    assert change.actor == "reg"
    # The same time again: taken, the form comes back with the new card chosen.
    again = await client.post(
        "/staff/grid/book",
        data={
            "csrf_token": token,
            "doctor": str(c.internist.id),
            "start": THURSDAY_8,
            "service": str(c.consult.id),
            "patient": str(patient.id),
        },
    )
    assert again.status == 409
    assert "just been taken" in await again.text()


async def test_an_existing_card_is_found_and_restrictions_hold(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock, 3)
    token = await log_in(client, "reg")
    c = clinic.clinic
    base = pick(c.internist.id, THURSDAY_8)
    for query in ("501 000 003", "1980-05-03", "03.05.1980", "testowa3"):
        found = await (
            await client.get(f"/staff/grid/book?{base}&{urlencode({'q': query})}")
        ).text()
        assert f"patient={patient_id}" in found, query
    nothing = await (await client.get(f"/staff/grid/book?{base}&q=12345678901")).text()
    assert "No card matches" in nothing
    # A man cannot take a service for women: refused, the form comes back with an alert.
    refused = await client.post(
        "/staff/grid/book",
        data={
            "csrf_token": token,
            "doctor": str(c.internist.id),
            "start": THURSDAY_8,
            "service": str(c.ultrasound.id),
            "first_name": "Adam",
            "last_name": "Nowy",
            "sex": "M",
        },
    )
    text = await refused.text()
    assert refused.status == 400, text
    assert "restrictions rule this patient out" in text
    assert 'name="patient"' in text  # the card just made is chosen for another try


async def test_a_visit_is_moved_in_the_grid_after_a_confirmation(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    grid = await (await client.get(f"/staff/grid?day=2026-12-03&move={booking_id}")).text()
    assert f"booking={booking_id}" in grid
    confirm = await client.get(
        f"/staff/grid/move?{pick(clinic.clinic.internist.id, THURSDAY_8, booking=booking_id)}"
    )
    assert "Confirm the move" in await confirm.text()
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at == WEDNESDAY_8
    moved = await client.post(
        "/staff/grid/move",
        data={
            "csrf_token": token,
            "booking": str(booking_id),
            "doctor": str(clinic.clinic.internist.id),
            "start": THURSDAY_8,
        },
        allow_redirects=False,
    )
    assert moved.status == 303
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at.isoformat() == THURSDAY_8


async def test_a_chosen_patient_is_carried_to_the_booking_form(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock, 4)
    await log_in(client, "reg")
    grid = await (await client.get(f"/staff/grid?day=2026-12-03&patient={patient_id}")).text()
    assert "Booking for Ewa Testowa4" in grid
    assert f"patient={patient_id}" in grid
    form = await (
        await client.get(
            f"/staff/grid/book?{pick(clinic.clinic.internist.id, THURSDAY_8)}&patient={patient_id}"
        )
    ).text()
    assert f'name="patient" value="{patient_id}"' in form
    assert 'name="first_name"' not in form  # no new card to type
    assert (await client.get("/staff/grid?patient=999999")).status == 404
    bad = await client.get(f"/staff/grid/book?{pick(clinic.clinic.internist.id, 'tomorrow')}")
    assert bad.status == 400


async def test_a_doctor_sees_the_grid_but_books_nothing(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await log_in(client, "kowalska")
    grid = await (await client.get("/staff/grid?day=2026-12-03")).text()
    assert '<th scope="col">lek. Anna Kowalska</th>' in grid
    assert "Nowak" not in grid
    assert "/staff/grid/book?" not in grid
    form = await client.get(f"/staff/grid/book?{pick(clinic.clinic.internist.id, THURSDAY_8)}")
    assert form.status == 403


async def test_a_day_no_doctor_works_leads_to_the_next_that_one_does(
    client: Client, clinic: Desk
) -> None:
    await log_in(client, "reg")
    sunday = await (await client.get("/staff/grid?day=2026-11-29")).text()
    assert "No doctor works at this branch on this day." in sunday
    found = re.search(r'href="([^"]+)">Next day with doctors: ([^<]+)<', sunday)
    assert found is not None
    next_day = await client.get(html.unescape(found[1]))
    assert next_day.status == 200
    assert "No doctor works" not in await next_day.text()
    assert "day=2026-12-01" in html.unescape(found[1])  # the clinic's first day of slots
    beyond = await (await client.get("/staff/grid?day=2027-06-01&view=week")).text()
    assert "No doctor works at this branch in this week." in beyond
    assert "Next day with doctors" not in beyond  # none left to offer
