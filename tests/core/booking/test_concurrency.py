"""Never two bookings on one doctor's time: races run for real, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import Clock
from core.db.database import Database
from core.errors import DomainError, SlotTaken
from core.models import Booking, Occupancy
from core.schedule.search import FreeSlot, SlotQuery, SlotSearch
from core.vocab import Channel
from testkit.factories import SmallClinic, adult, small_clinic


async def _ten_slots(db: Database, clock: Clock, c: SmallClinic) -> list[FreeSlot]:
    free = await SlotSearch(db, clock).find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id, limit=10)
    )
    assert len(free) == 10
    return free


async def _assert_no_overlap(db: Database) -> int:
    """No two active bookings of one doctor overlap in time; returns how many are active."""
    async with db.read() as session:
        bookings = list(
            (
                await session.execute(select(Booking).where(col(Booking.status) == "booked"))
            ).scalars()
        )
    by_doctor: dict[int, list[Booking]] = {}
    for b in bookings:
        by_doctor.setdefault(b.doctor_id, []).append(b)
    for rows in by_doctor.values():
        rows.sort(key=lambda b: b.start_at)
        for a, b in itertools.pairwise(rows):
            assert a.end_at <= b.start_at, f"bookings {a.id} and {b.id} overlap"
    return len(bookings)


async def test_200_attempts_at_10_slots_give_exactly_10_bookings(db, clock):
    c = await small_clinic(db, clock)
    patients = [await adult(db, clock, n) for n in range(1, 21)]
    slots = await _ten_slots(db, clock, c)
    service = BookingService(db, clock)

    async def attempt(i: int) -> str:
        slot, patient = slots[i % 10], patients[i % 20]
        try:
            await service.book(
                Actor.patient(patient, Channel.TELEGRAM),
                VisitRequest(patient, c.consult.id, slot.doctor_id, slot.start_at),
            )
        except DomainError as exc:
            return exc.code
        return "booked"

    results = await asyncio.gather(*(attempt(i) for i in range(200)), return_exceptions=True)
    tally = Counter(r if isinstance(r, str) else repr(r) for r in results)
    assert tally == {"booked": 10, SlotTaken.code: 190}
    assert await _assert_no_overlap(db) == 10
    async with db.read() as session:
        cells = (await session.execute(select(func.count()).select_from(Occupancy))).scalar_one()
    assert cells == 10 * 3 * 2  # ten 15-minute visits: three cells of the doctor and of the room


async def test_long_and_short_services_race_for_overlapping_time(db, clock):
    """A 30-minute and a 15-minute visit starting 15 minutes apart: exactly one wins, every time."""
    c = await small_clinic(db, clock)
    p1, p2 = await adult(db, clock, 1), await adult(db, clock, 2)
    service = BookingService(db, clock)
    free = await SlotSearch(db, clock).find(
        SlotQuery(channel=Channel.STAFF, service_id=c.long_consult.id, limit=40)
    )
    # Pairs of half-hours: the long visit at :00, the short one at :15 of the same half-hour.
    starts = [f.start_at for f in free if f.start_at.minute in (0, 30)][:12]
    assert len(starts) == 12

    async def book(patient: int, service_id: int, at) -> str:
        try:
            await service.book(
                Actor.staff("desk"), VisitRequest(patient, service_id, c.internist.id, at)
            )
        except DomainError as exc:
            return exc.code
        return "booked"

    rounds = await asyncio.gather(
        *(
            asyncio.gather(
                book(p1, c.long_consult.id, at),
                book(p2, c.consult.id, at + timedelta(minutes=15)),
            )
            for at in starts
        )
    )
    for outcome in rounds:
        assert sorted(outcome) == ["booked", SlotTaken.code]
    assert await _assert_no_overlap(db) == 12


async def test_three_processes_race_for_ten_slots(db, clock, database_url):
    c = await small_clinic(db, clock)
    patients = [await adult(db, clock, n) for n in range(1, 11)]
    slots = await _ten_slots(db, clock, c)
    await db.dispose()
    go_at = time.time() + 2.0
    procs = []
    for offset in range(3):
        spec = {
            "url": database_url,
            "now": clock.now().isoformat(),
            "service_id": c.consult.id,
            "doctor_id": c.internist.id,
            "patients": patients,
            "starts": [s.start_at.isoformat() for s in slots],
            "attempts": 67,
            "offset": offset * 3,
            "go_at": go_at,
        }
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "testkit.race_worker",
                json.dumps(spec),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    tally: Counter[str] = Counter()
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        tally.update(json.loads(out))
    assert tally == {"booked": 10, SlotTaken.code: 191}
    assert await _assert_no_overlap(db) == 10


async def test_a_sqlite_write_waits_out_another_processs_lock_without_blocking(
    db, clock, database_url
):
    """Another connection (as another process would) holds the write lock for a while: the
    write retries with async waits, so the loop keeps running, and lands once it is free."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL has row locks, not one database-wide write lock")
    c = await small_clinic(db, clock, days=1)
    patient = await adult(db, clock)
    [slot] = (await _ten_slots(db, clock, c))[:1]
    other = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(30):
            await asyncio.sleep(0.01)
            ticks += 1
        other.execute("COMMIT")

    release = asyncio.create_task(ticker())
    booking = await BookingService(db, clock).book(
        Actor.patient(patient, Channel.TELEGRAM),
        VisitRequest(patient, c.consult.id, slot.doctor_id, slot.start_at),
    )
    landed_after = ticks
    await release
    other.close()

    assert booking.id is not None
    assert landed_after == 30  # it waited for the release, and the loop ran all along
