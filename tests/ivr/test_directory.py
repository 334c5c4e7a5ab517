"""The phone menu's cached catalog (ivr/directory.py), on SQLite and PostgreSQL: read again
after its time to live."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FrozenClock
from core.db.database import Database
from core.errors import NotFound
from core.models import Doctor
from ivr.directory import CachedCatalog
from testkit.factories import small_clinic


async def test_the_menu_reads_the_catalog_again_after_its_ttl(
    db: Database, clock: FrozenClock
) -> None:
    clinic = await small_clinic(db, clock, days=1)
    now = [0.0]
    catalog = CachedCatalog(db, ttl=60, monotonic=lambda: now[0])
    assert [d.last_name for d in await catalog.doctors()] == ["Kowalska", "Nowak"]

    async def retire(session: AsyncSession) -> None:
        doctor = await session.get_one(Doctor, clinic.paediatrician.id)
        doctor.active = False

    await db.write(retire)
    assert len(await catalog.doctors()) == 2  # kept for a minute
    now[0] = 61.0
    assert [d.last_name for d in await catalog.doctors()] == ["Kowalska"]
    assert (await catalog.branch(clinic.branch.id or 0)).name == "Mokotów"
    with pytest.raises(NotFound):
        await catalog.service(10_000)
