"""The waiting list and the schedules (frontdesk/staff/dashboard/lists.py) over HTTP, on SQLite and
PostgreSQL, each in the member's scope."""

from __future__ import annotations

from datetime import time

from sqlalchemy.ext.asyncio import AsyncSession

from core.booking.waitlist import WaitlistService, WaitRequest
from core.clock import FrozenClock
from core.db.database import Database
from core.models import ScheduleConflict
from core.vocab import Channel
from testkit.dashboard import WEDNESDAY_8, Client, book, log_in
from testkit.factories import adult
from testkit.staff_desk import Desk


async def test_the_waiting_list_shows_the_registrars_branches_and_any_branch(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    waitlist = WaitlistService(db, clock)
    for n, branch in ((1, clinic.clinic.branch), (2, clinic.other_branch), (3, None)):
        await waitlist.join(
            WaitRequest(
                patient_id=await adult(db, clock, n),
                channel=Channel.TELEGRAM,
                service_id=clinic.clinic.consult.id,
                branch_id=branch.id if branch else None,
                time_from=time(8),
                time_to=time(10),
            )
        )
    await log_in(client, "reg")
    page = await (await client.get("/staff/waitlist")).text()
    assert "Ewa Testowa1" in page
    assert "Ewa Testowa2" not in page  # waits in Wola only
    assert "Ewa Testowa3" in page  # any branch will do
    assert "08:00–10:00" in page
    await log_in(client, "kowalska")
    assert (await client.get("/staff/waitlist")).status == 403


async def test_schedules_show_the_templates_and_conflicts_in_scope(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)

    async def conflict(session: AsyncSession) -> None:
        assert clinic.clinic.internist.id is not None
        session.add(
            ScheduleConflict(
                booking_id=booking_id,
                doctor_id=clinic.clinic.internist.id,
                start_at=WEDNESDAY_8,
                detected_at=clock.now(),
            )
        )

    await db.write(conflict)
    await log_in(client, "reg-wola")
    page = await (await client.get("/staff/schedules")).text()
    assert "Marek Zieliński" in page
    assert "Anna Kowalska" not in page
    assert f"/staff/bookings/{booking_id}" not in page
    await log_in(client, "reg")
    page = await (await client.get("/staff/schedules")).text()
    assert "lek. Anna Kowalska" in page
    assert f"/staff/bookings/{booking_id}" in page
    assert "08:00–12:00" in page
