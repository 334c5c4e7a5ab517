"""Branch names and doctors' titles in the member's language on every dashboard page that
shows them (today, the grid, the bookings and one booking, the patient's card, the lists),
the Polish as the fallback; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.clinic.translations import CatalogNames
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from testkit.dashboard import Client, book, log_in
from testkit.staff_desk import Desk


async def _translated(db: Database, clinic: Desk) -> None:
    c = clinic.clinic
    assert c.branch.id is not None
    assert c.internist.id is not None
    names = CatalogNames(db)
    await names.set_branch_names(c.branch.id, {"en": "Mokotow branch", "uk": "Мокотів"})
    await names.set_doctor_titles(c.internist.id, {"en": "Dr", "uk": "лікар"})


async def _pages(client: Client, db: Database, booking_id: int) -> dict[str, str]:
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, booking_id)).patient_id
    paths = {
        "today": "/staff/today?day=2026-12-02",
        "grid": "/staff/grid?day=2026-12-02",
        "week": "/staff/grid?day=2026-12-02&view=week",
        "bookings": "/staff/bookings?from=2026-12-02&to=2026-12-02",
        "booking": f"/staff/bookings/{booking_id}",
        "card": f"/staff/patients/{patient_id}",
    }
    shown = {}
    for name, path in paths.items():
        page = await client.get(path)
        assert page.status == 200, (name, await page.text())
        shown[name] = await page.text()
    return shown


@pytest.mark.parametrize(
    ("language", "branch", "doctor"),
    [
        ("en", "Mokotow branch", "Dr Anna Kowalska"),
        ("uk", "Мокотів", "лікар Anna Kowalska"),
        ("ru", "Mokotów", "lek. Anna Kowalska"),  # no translation: the Polish
        ("pl", "Mokotów", "lek. Anna Kowalska"),
    ],
)
async def test_branch_names_and_doctor_titles_are_shown_in_the_members_language(
    client: Client,
    clinic: Desk,
    db: Database,
    clock: FrozenClock,
    language: str,
    branch: str,
    doctor: str,
) -> None:
    await _translated(db, clinic)
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await log_in(client, "admin", language=language)
    for name, html in (await _pages(client, db, booking_id)).items():
        assert branch in html, name
        assert doctor in html, name
        if language in ("en", "uk"):
            assert "lek. Anna Kowalska" not in html, name
            assert "Mokotów" not in html, name


async def test_the_waiting_list_and_the_trash_name_branches_and_doctors_likewise(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await _translated(db, clinic)
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    token = await log_in(client, "admin", language="en")
    cancelled = await client.post(
        f"/staff/bookings/{booking_id}/cancel",
        data={"csrf_token": token, "reason": "test"},
        allow_redirects=False,
    )
    assert cancelled.status == 303, await cancelled.text()
    trash = await (await client.get("/staff/trash")).text()
    assert "Dr Anna Kowalska" in trash
    assert "Mokotow branch" in trash
