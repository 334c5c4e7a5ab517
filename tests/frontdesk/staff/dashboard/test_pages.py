"""The pages around the work (frontdesk/staff/dashboard/pages.py) over HTTP, on SQLite and
PostgreSQL: the login form and back to the page asked for, the member's language, errors as
pages that forbid framing, and forms that never send the browser off the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.db.database import Database
from core.models import StaffMember
from testkit.dashboard import CSRF, WEDNESDAY_8, Client, book, log_in
from testkit.staff_desk import PASSWORD, Desk


async def test_logging_in_leads_back_to_the_page_asked_for(client: Client) -> None:
    form = await client.get("/staff/login?next=/staff/trash")
    html = await form.text()
    assert 'value="/staff/trash"' in html
    token = CSRF.search(html)
    assert token is not None
    done = await client.post(
        "/staff/login",
        data={"login": "reg", "password": PASSWORD, "csrf_token": token[1], "next": "/staff/trash"},
        allow_redirects=False,
    )
    assert done.headers["Location"] == "/staff/trash"
    assert (await client.get("/staff/trash")).status == 200


async def test_a_wrong_password_shows_the_form_with_the_error(client: Client) -> None:
    client.session.cookie_jar.update_cookies({"staff_language": "en"})
    form = await client.get("/staff/login")
    token = CSRF.search(await form.text())
    assert token is not None
    done = await client.post(
        "/staff/login", data={"login": "reg", "password": "nope" * 4, "csrf_token": token[1]}
    )
    assert done.status == 200
    assert "Wrong login or password" in await done.text()
    assert (await client.get("/staff/today", allow_redirects=False)).status == 303


async def test_pages_speak_the_members_language(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "reg", language="uk")
    clock.set(WEDNESDAY_8 - timedelta(hours=1))  # the visit's day: arrivals are marked
    page = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert '<html lang="uk">' in page
    assert "середа, 2 грудня" in page
    assert "Позначити прибуття" in page  # "Mark arrived", from the catalog
    await client.post(
        "/staff/language", data={"csrf_token": token, "language": "pl", "next": "/staff/today"}
    )
    page = await (await client.get("/staff/today?day=2026-12-02")).text()
    assert "środa, 2 grudnia" in page
    assert "Oznacz przybycie" in page


async def test_the_member_s_language_follows_them_to_another_browser(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    token = await log_in(client, "reg", language="en")
    await client.post(
        "/staff/language", data={"csrf_token": token, "language": "uk", "next": "/staff/today"}
    )
    async with db.read() as session:
        assert (await session.get_one(StaffMember, clinic.registrar.id)).language == "uk"
    client.session.cookie_jar.clear()  # another browser, whose own choice is English
    await log_in(client, "reg", language="en")
    page = await (await client.get("/staff/today")).text()
    assert '<html lang="uk">' in page
    await log_in(client, "reg-wola", language="en")  # a member who chose nothing: the cookie
    assert '<html lang="en">' in await (await client.get("/staff/today")).text()


async def test_errors_under_staff_are_pages_and_every_page_forbids_framing(
    client: Client, clinic: Desk
) -> None:
    await log_in(client, "reg")
    missing = await client.get("/staff/bookings/999999")
    assert missing.status == 404
    assert "Not found, or not in your branches." in await missing.text()
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]
    assert missing.headers["Cache-Control"] == "no-store"
    unknown = await client.get("/staff/nowhere")
    assert unknown.status == 404
    assert unknown.headers["Content-Type"].startswith("text/html")
    # Outside /staff/ the API keeps its JSON errors.
    assert (
        (await client.get("/api/v1/nowhere")).headers["Content-Type"].startswith("application/json")
    )


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/api/v1/me"])
async def test_a_form_never_sends_the_browser_off_the_dashboard(
    client: Client, clinic: Desk, target: str
) -> None:
    token = await log_in(client, "reg")
    done = await client.post(
        "/staff/language",
        data={"csrf_token": token, "language": "uk", "next": target},
        allow_redirects=False,
    )
    assert done.status == 303
    assert done.headers["Location"] == "/staff/today"
    assert done.cookies["staff_language"].value == "uk"
