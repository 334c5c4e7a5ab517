"""The no-show report (frontdesk/staff/dashboard/no_shows.py) over HTTP, on SQLite and
PostgreSQL: counted per doctor, service and channel in the member's branches."""

from __future__ import annotations

from datetime import timedelta

from core.clock import FrozenClock
from core.db.database import Database
from testkit.dashboard import WEDNESDAY_8, Client, book, log_in
from testkit.staff_desk import Desk


async def test_no_shows_marked_on_the_day_are_counted_in_the_report(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    ours = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await book(db, clock, clinic, clinic.other_doctor.id, 2)  # at Wola
    token = await log_in(client, "reg")
    clock.set(WEDNESDAY_8 + timedelta(hours=1))
    await client.post(
        f"/staff/bookings/{ours}/status", data={"csrf_token": token, "status": "no_show"}
    )
    page = await (await client.get("/staff/no-shows?from=2026-12-01&to=2026-12-31")).text()
    assert "1 of 1 visits due" in page  # Wola's visit is not the registrar's
    doctor = page.split("lek. Anna Kowalska", 1)[1]
    assert "100%" in doctor.split("</tr>", 1)[0]
    assert "Registration desk" in page  # booked at the desk
    assert "Konsultacja" in page
    await log_in(client, "admin")
    everything = await (await client.get("/staff/no-shows?from=2026-12-01&to=2026-12-31")).text()
    assert "1 of 2 visits due" in everything
    wola = await (
        await client.get(
            f"/staff/no-shows?from=2026-12-01&to=2026-12-31&branch={clinic.other_branch.id}"
        )
    ).text()
    assert "0 of 1 visits due" in wola
    assert (await client.get("/staff/no-shows?from=2026-12-31&to=2026-12-01")).status == 400
