"""The day's visits per doctor (frontdesk/staff/dashboard/today.py) over HTTP, on SQLite and
PostgreSQL: listed in the branch's time and an arrival marked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.models import BookingChange
from core.vocab import BookingStatus, Channel
from testkit.dashboard import WEDNESDAY_8, Client, book, log_in, status_of
from testkit.staff_desk import Desk


async def test_today_lists_the_days_visits_per_doctor_and_marks_an_arrival(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    clock.set(WEDNESDAY_8 - timedelta(hours=1))  # the morning of the visit's day
    html = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "lek. Anna Kowalska" in html
    assert "Ewa Testowa1" in html
    assert "08:00" in html  # 07:00 UTC, shown in Warsaw's time
    assert "Mark arrived" in html
    assert "Ewa Testowa1" not in await (await client.get("/staff/today?day=2026-12-03")).text()

    done = await client.post(
        f"/staff/bookings/{booking_id}/status",
        data={"status": "arrived", "csrf_token": token, "next": "/staff/today?day=2026-12-02"},
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/staff/today?day=2026-12-02"
    assert await status_of(db, booking_id) is BookingStatus.ARRIVED
    async with db.read() as session:
        [change] = (
            await session.execute(
                select(BookingChange).where(col(BookingChange.action) == "status")
            )
        ).scalars()
    assert (change.actor, change.channel) == ("reg", Channel.STAFF)
    page = await (await client.get(f"/staff/bookings/{booking_id}")).text()
    assert "Renata Rejestracja" in page  # the history names the member, not their login


async def test_a_visit_of_a_day_ahead_cannot_be_marked_arrived(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)  # tomorrow
    token = await log_in(client, "reg")
    html = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "Ewa Testowa1" in html
    assert "Mark arrived" not in html
    assert "Mark no-show" not in html
    assert "Mark arrived" not in await (await client.get(f"/staff/bookings/{booking_id}")).text()
    for status in ("arrived", "no_show", "completed"):
        refused = await client.post(
            f"/staff/bookings/{booking_id}/status", data={"status": status, "csrf_token": token}
        )
        assert refused.status == 409
        assert "The visit is still ahead" in await refused.text()
    assert await status_of(db, booking_id) is BookingStatus.BOOKED


async def test_a_no_show_is_marked_on_the_day_s_page_once_the_time_has_passed(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    clock.set(WEDNESDAY_8 - timedelta(minutes=5))
    html = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "Mark arrived" in html
    assert "Mark no-show" not in html  # not before its time
    clock.set(WEDNESDAY_8 + timedelta(minutes=20))
    html = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "Mark no-show: Ewa Testowa1, 08:00" in html
    await client.post(
        f"/staff/bookings/{booking_id}/status",
        data={"status": "no_show", "csrf_token": token, "next": "/staff/today?day=2026-12-02"},
    )
    assert await status_of(db, booking_id) is BookingStatus.NO_SHOW
