"""Working the staff dashboard over HTTP as a browser does: signing in through the form,
the CSRF token of a page, a consultation booked on Wednesday at 08:00, and a visit a fake
Docplanner refuses; for the dashboard's tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from core.vocab import BookingStatus, Channel
from testkit.factories import adult
from testkit.partner_setup import Rig
from testkit.staff_desk import PASSWORD, Desk

Client = TestClient[web.Request, web.Application]

# Wednesday 2 December 2026, 08:00 in Warsaw; the clock stands on Tuesday 1 December.
WEDNESDAY_8 = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def log_in(client: Client, login: str, language: str = "en") -> str:
    """Sign in through the form as a browser would; the CSRF token of the new session."""
    client.session.cookie_jar.update_cookies({"staff_language": language})
    form = await client.get("/staff/login")
    token = CSRF.search(await form.text())
    assert token is not None
    done = await client.post(
        "/staff/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token[1], "next": "/staff/"},
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    return await csrf(client)


async def csrf(client: Client, path: str = "/staff/today") -> str:
    page = await client.get(path)
    assert page.status == 200, await page.text()
    token = CSRF.search(await page.text())
    assert token is not None
    return token[1]


async def book(
    db: Database, clock: FrozenClock, clinic: Desk, doctor_id: int | None, n: int
) -> int:
    """A consultation on Wednesday at 08:00 local with `doctor_id`, for the n-th test patient."""
    assert doctor_id is not None
    assert clinic.clinic.consult.id is not None
    patient = await adult(db, clock, n)
    booking = await BookingService(db, clock).book(
        Actor.staff("setup"),
        VisitRequest(
            patient_id=patient,
            service_id=clinic.clinic.consult.id,
            doctor_id=doctor_id,
            start_at=WEDNESDAY_8,
        ),
    )
    assert booking.id is not None
    return booking.id


async def status_of(db: Database, booking_id: int) -> BookingStatus:
    async with db.read() as session:
        return (await session.get_one(Booking, booking_id)).status


async def refused_visit(rig: Rig, clinic: Desk, db: Database, clock: FrozenClock, n: int) -> None:
    c = clinic.clinic
    assert c.consult.id is not None
    assert c.internist.id is not None
    patient = await adult(db, clock, n)
    await rig.booking.book(
        Actor.patient(patient, Channel.TELEGRAM),
        VisitRequest(patient, c.consult.id, c.internist.id, WEDNESDAY_8 + timedelta(hours=n)),
    )
    rig.fake.fail_next(422)
    await rig.settle()
