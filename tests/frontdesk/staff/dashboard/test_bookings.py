"""The bookings pages (frontdesk/staff/dashboard/bookings.py) over HTTP, on SQLite and PostgreSQL:
search by name, phone, status and dates; move to a free slot, cancel, and restore from the
trash."""

from __future__ import annotations

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from core.vocab import BookingStatus
from testkit.dashboard import Client, book, log_in, status_of
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
    assert f'value="{thursday}"' in choices
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
