"""The bookings pages (frontdesk/staff/dashboard/bookings.py) over HTTP, on SQLite and PostgreSQL:
search by name, phone, status and dates; move to a free slot, cancel, and restore from the
trash."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from core.actors import Actor
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, Contact, Patient
from core.vocab import BookingStatus, ContactKind
from testkit.dashboard import CSRF, Client, book, log_in, status_of
from testkit.staff_desk import Desk


async def test_search_by_name_phone_and_status(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await log_in(client, "admin")
    assert "Testowa1" in await (await client.get("/staff/bookings?patient=ewa+testowa1")).text()
    assert "Testowa1" in await (await client.get("/staff/bookings?phone=501+000+001")).text()
    assert "Testowa1" not in await (await client.get("/staff/bookings?phone=999999")).text()
    assert "Testowa1" not in await (await client.get("/staff/bookings?status=arrived")).text()
    assert (
        "Testowa1"
        in await (await client.get("/staff/bookings?from=2026-12-02&to=2026-12-02")).text()
    )
    assert "Testowa1" not in await (await client.get("/staff/bookings?from=2026-12-03")).text()
    bad = await client.get("/staff/bookings?from=yesterday")
    assert bad.status == 400


async def test_move_to_a_free_slot_then_cancel_and_restore(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    choices = await (await client.get(f"/staff/bookings/{booking_id}/move?day=2026-12-03")).text()
    thursday = "2026-12-03T07:00:00+00:00"
    assert f"start={quote(thursday)}" in choices  # a link to confirm the move
    moved = await client.post(
        f"/staff/bookings/{booking_id}/move",
        data={
            "csrf_token": token,
            "doctor": str(clinic.clinic.internist.id),
            "branch": str(clinic.clinic.branch.id),
            "start": thursday,
        },
        allow_redirects=False,
    )
    assert moved.status == 303, await moved.text()
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at.isoformat() == thursday
    # The other branch is not the registrar's: a slot there is refused.
    refused = await client.post(
        f"/staff/bookings/{booking_id}/move",
        data={
            "csrf_token": token,
            "doctor": str(clinic.other_doctor.id),
            "branch": str(clinic.other_branch.id),
            "start": "2026-12-04T07:00:00+00:00",
        },
    )
    assert refused.status == 403

    await client.post(
        f"/staff/bookings/{booking_id}/cancel", data={"csrf_token": token, "reason": "ill"}
    )
    assert await status_of(db, booking_id) is BookingStatus.CANCELLED
    trash = await (await client.get("/staff/trash")).text()
    assert "Testowa1" in trash
    await client.post(f"/staff/bookings/{booking_id}/restore", data={"csrf_token": token})
    assert await status_of(db, booking_id) is BookingStatus.BOOKED
    assert "Testowa1" not in await (await client.get("/staff/trash")).text()
    history = await (await client.get(f"/staff/bookings/{booking_id}")).text()
    for action in ("Moved", "Cancelled", "Restored"):
        assert action in history


async def test_move_pages_more_times_and_asks_to_confirm(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await log_in(client, "reg")
    first = await (await client.get(f"/staff/bookings/{booking_id}/move?day=2026-12-03")).text()
    assert first.count('class="button slot"') == 24
    assert "Show more times" in first
    assert "shown=48" in first
    more = await (
        await client.get(f"/staff/bookings/{booking_id}/move?day=2026-12-03&shown=48")
    ).text()
    assert more.count('class="button slot"') == 48
    # A time is a link to a confirmation, not a change.
    link = re.search(r'href="(/staff/bookings/\d+/move/confirm\?[^"]+)"', first)
    assert link is not None
    confirm = await client.get(html.unescape(link[1]))
    text = await confirm.text()
    assert "Confirm the move" in text
    assert "Thursday, 3 December 2026, 08:00" in text
    assert await status_of(db, booking_id) is BookingStatus.BOOKED
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at.hour == 7  # unchanged
    token = CSRF.search(text)
    assert token is not None
    start = re.search(r'name="start" value="([^"]+)"', text)
    assert start is not None
    done = await client.post(
        f"/staff/bookings/{booking_id}/move",
        data={
            "csrf_token": token[1],
            "doctor": str(clinic.clinic.internist.id),
            "start": html.unescape(start[1]),
        },
        allow_redirects=False,
    )
    assert done.status == 303
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).start_at.isoformat() == (
            "2026-12-03T07:00:00+00:00"
        )


async def test_the_booking_page_shows_the_patient_without_chat_ids(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, booking_id)).patient_id

    async def identify(session) -> None:
        patient = await session.get_one(Patient, patient_id)
        patient.pesel = "80050112344"
        session.add(Contact(patient_id=patient_id, kind=ContactKind.WEB, value="web-sessEN000001"))

    await db.write(identify)
    await log_in(client, "reg")
    page = await (await client.get(f"/staff/bookings/{booking_id}")).text()
    assert "web-sessEN000001" not in page
    assert "Web chat linked" in page
    assert "1 May 1980" in page
    assert "(46 years)" in page
    assert "80050112344" not in page
    assert "•••••••2344" in page
    assert f'href="/staff/patients/{patient_id}"' in page
    history = page.split("History", 1)[1]
    assert "→ Booked" not in history
    assert "Wednesday, 2 December 2026, 08:00" in history


async def test_reasons_for_cancelling_read_as_words_in_the_member_s_language(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await BookingService(db, clock).cancel(Actor.staff("setup"), booking_id, "patient: plans")
    await log_in(client, "reg")
    for path in (f"/staff/bookings/{booking_id}", "/staff/trash"):
        page = await (await client.get(path)).text()
        assert "patient: plans" not in page
        assert "plans changed" in page
    await log_in(client, "reg", language="pl")
    polish = await (await client.get("/staff/trash")).text()
    assert "plans changed" not in polish
