"""Who may open which dashboard page (frontdesk/staff/dashboard/access.py) over HTTP, on SQLite and
PostgreSQL: visitors sent to the login form, CSRF on every form, and the scope by branch and
by doctor."""

from __future__ import annotations

import pytest
from yarl import URL

from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import BookingStatus
from testkit.dashboard import Client, book, log_in, status_of
from testkit.staff_desk import Desk


@pytest.mark.parametrize(
    "path", ["/staff/today", "/staff/bookings", "/staff/inbox", "/staff/trash", "/staff/bookings/1"]
)
async def test_a_visitor_is_sent_to_the_login_form_and_back(client: Client, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303
    target = URL(response.headers["Location"])
    assert (target.path, target.query["next"]) == ("/staff/login", path)


async def test_a_form_without_the_csrf_token_changes_nothing(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg")
    for sent in ({}, {"csrf_token": "forged"}):
        response = await client.post(
            f"/staff/bookings/{booking_id}/status", data={"status": "confirmed", **sent}
        )
        assert response.status == 403
        assert "text/html" in response.headers["Content-Type"]
    assert await status_of(db, booking_id) is BookingStatus.BOOKED
    done = await client.post(
        f"/staff/bookings/{booking_id}/status",
        data={"status": "confirmed", "csrf_token": token},
        allow_redirects=False,
    )
    assert done.status == 303
    assert await status_of(db, booking_id) is BookingStatus.CONFIRMED


async def test_a_registrar_of_one_branch_cannot_reach_another_branchs_booking(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    ours = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    theirs = await book(db, clock, clinic, clinic.other_doctor.id, 2)
    token = await log_in(client, "reg")

    assert (await client.get(f"/staff/bookings/{ours}")).status == 200
    page = await client.get(f"/staff/bookings/{theirs}")
    assert page.status == 404
    assert "Testowa2" not in await page.text()
    for action, form in (
        ("status", {"status": "arrived"}),
        ("cancel", {"reason": "test"}),
        ("move", {"doctor": str(clinic.other_doctor.id), "start": "2026-12-04T07:00:00+00:00"}),
        ("restore", {}),
    ):
        response = await client.post(
            f"/staff/bookings/{theirs}/{action}", data={"csrf_token": token, **form}
        )
        assert response.status == 404, action
    assert await status_of(db, theirs) is BookingStatus.BOOKED
    grid = await (await client.get("/staff/bookings?patient=Testowa")).text()
    assert "Testowa1" in grid
    assert "Testowa2" not in grid
    # Asking for the other branch by its id in the form shows nothing either.
    other = await (await client.get(f"/staff/bookings?branch={clinic.other_branch.id}")).text()
    assert "Testowa2" not in other


async def test_a_doctor_sees_only_their_own_schedule_and_cannot_move_visits(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    mine = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    other = await book(db, clock, clinic, clinic.other_doctor.id, 2)
    token = await log_in(client, "kowalska")
    day = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "Testowa1" in day
    assert (await client.get(f"/staff/bookings/{other}")).status == 404
    assert (await client.get(f"/staff/bookings/{mine}/move")).status == 403
    assert (await client.get("/staff/inbox")).status == 403
    cancelled = await client.post(
        f"/staff/bookings/{mine}/cancel", data={"csrf_token": token, "reason": "x"}
    )
    assert cancelled.status == 403
    assert await status_of(db, mine) is BookingStatus.BOOKED
