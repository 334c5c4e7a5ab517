"""Partner sync (issue 7) against the fake Docplanner on loopback.

- latency: a worker loop syncs continuously (a pass every 50 ms); visits are booked
  one by one and the time until the fake holds each is measured (p50, p99);
- republication: under Docplanner's own limit (40 writes a minute, counted by the fake
  and the adapter), every mapped calendar is published again in full while visits are
  booked here one by one; the time until the fake holds each is measured, with a worker
  pass every `--pass-seconds` (the worker's default is 30) and the test clock following
  real time;
- convergence: the partner is down while visits are booked, cancelled and restored
  until 10,000 operations are queued; then it comes back, and the time until every
  operation is settled is measured, with lost and duplicated visits counted.
  Time is simulated (FrozenClock) during the outage; on recovery it jumps past every
  retry's back-off, so the figure is the drain time once the operations are due (the
  back-off adds at most `SyncPolicy.last_retry` to it).

    .venv/bin/python -m bench.partners [--backend sqlite|postgres] [--operations 10000]
        [--only latency|republication|convergence] [--pass-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, PartnerBooking, PartnerOperation
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import BookingStatus, Channel
from migrations.apply import upgrade_async
from testkit.factories import adult
from testkit.partner_setup import ZL, docplanner_rig

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "frontdesk_bench_partners"
START = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


async def _database(backend: str, folder: Path, phase: str) -> Database:
    """A fresh, migrated database of its own for one phase."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / phase}.db"
    else:
        name = f"{DATABASE}_{phase}"
        admin = await asyncpg.connect(ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await upgrade_async(url)
    return Database.from_url(url)


async def _starts(
    db: Database, clock: FrozenClock, doctor: int, service: int, n: int, *, days_ahead: int = 0
) -> list[datetime]:
    search, found = SlotSearch(db, clock), list[datetime]()
    start = clock.now() + timedelta(days=days_ahead)
    while len(found) < n:
        page = await search.find(
            SlotQuery(
                channel=Channel.TELEGRAM,
                service_id=service,
                doctor_id=doctor,
                start=start,
                end=clock.now() + timedelta(weeks=12),
                limit=100,
            )
        )
        if not page:
            break
        found += [s.start_at for s in page]
        start = page[-1].start_at + timedelta(minutes=1)
    return found[:n]


def _ids(rig: Any) -> tuple[int, int]:
    """The internist's and the consultation's ids (the doctor and service synced)."""
    doctor, service = rig.clinic.internist.id, rig.clinic.consult.id
    assert doctor is not None
    assert service is not None
    return doctor, service


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def latency(db: Database, visits: int) -> dict[str, Any]:
    clock = FrozenClock(START)
    async with docplanner_rig(db, clock, days=28) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle()
        doctor, service = _ids(rig)
        starts = await _starts(db, clock, doctor, service, visits)
        pid = await adult(db, clock)
        stop = asyncio.Event()

        async def worker() -> None:
            while not stop.is_set():
                await rig.sync.run_once()
                await asyncio.sleep(0.05)

        loop = asyncio.create_task(worker())
        seen: list[float] = []
        for at in starts:
            booked = time.perf_counter()
            await rig.booking.book(
                Actor.patient(pid, Channel.TELEGRAM),
                VisitRequest(pid, service, doctor, at),
            )
            while not any(b.start == at for b in rig.fake.active()):  # noqa: ASYNC110 (polls the fake)
                await asyncio.sleep(0.002)
            seen.append(time.perf_counter() - booked)
        stop.set()
        await loop
    return {
        "visits": len(seen),
        "p50_ms": round(statistics.median(seen) * 1000, 1),
        "p99_ms": round(_percentile(seen, 0.99) * 1000, 1),
    }


async def republication(db: Database, visits: int, pass_seconds: float) -> dict[str, Any]:
    clock = FrozenClock(START)
    async with docplanner_rig(db, clock, days=84, writes_per_minute=40) as rig:
        days = await rig.sync.publish_all(ZL)
        doctor, service = _ids(rig)
        starts = await _starts(db, clock, doctor, service, visits, days_ahead=1)
        pid = await adult(db, clock)
        stop = asyncio.Event()

        async def worker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                now = time.perf_counter()
                clock.advance(timedelta(seconds=now - last))  # the test clock follows
                last = now
                await rig.sync.run_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pass_seconds)

        loop = asyncio.create_task(worker())
        seen: list[float] = []
        for at in starts:
            await asyncio.sleep(pass_seconds * 1.5)  # into the republication
            booked = time.perf_counter()
            await rig.booking.book(
                Actor.patient(pid, Channel.TELEGRAM), VisitRequest(pid, service, doctor, at)
            )
            while not any(b.start == at for b in rig.fake.active()):  # noqa: ASYNC110 (polls the fake)
                await asyncio.sleep(0.01)
            seen.append(time.perf_counter() - booked)
        stop.set()
        await loop
        published = sum(1 for method, path in rig.fake.requests if method == "PUT")
    return {
        "days_queued": days,
        "calendar_writes_meanwhile": published,
        "visits": len(seen),
        "max_s": round(max(seen), 1),
        "each_s": [round(s, 1) for s in seen],
    }


async def convergence(db: Database, operations: int) -> dict[str, Any]:
    clock = FrozenClock(START)
    async with docplanner_rig(db, clock, days=84) as rig:
        await rig.sync.publish_all(ZL)
        await rig.settle(passes=200)
        doctor, service = _ids(rig)
        starts = await _starts(db, clock, doctor, service, 400, days_ahead=1)
        pids = [await adult(db, clock, n) for n in range(1, 29)]
        desk = Actor.staff("bench")
        rig.fake.down = True
        bookings: list[int] = []
        for i, at in enumerate(starts):
            pid = pids[i % len(pids)]
            booking = await rig.booking.book(
                Actor.patient(pid, Channel.TELEGRAM), VisitRequest(pid, service, doctor, at)
            )
            assert booking.id is not None
            bookings.append(booking.id)
        round_ = 0
        while await _count(db, PartnerOperation) < operations:
            booking_id = bookings[round_ % len(bookings)]
            if (round_ // len(bookings)) % 2 == 0:
                await rig.booking.cancel(desk, booking_id, "bench")
            else:
                await rig.booking.restore(desk, booking_id)
            round_ += 1
            if round_ % 500 == 0:
                await rig.sync.run_once()  # the worker keeps planning (and failing)
                clock.advance(timedelta(seconds=30))
        await rig.sync.run_once()
        queued = await _count(db, PartnerOperation)
        rig.fake.down = False
        clock.advance(timedelta(hours=1))  # every back-off over
        began = time.perf_counter()
        passes = 0
        while await _open(db):
            await rig.sync.run_once()
            passes += 1
        took = time.perf_counter() - began
        async with db.read() as session:
            active = (
                await session.execute(
                    select(col(Booking.id)).where(col(Booking.status) == BookingStatus.BOOKED)
                )
            ).scalars()
            ours = set(active)
            links = dict(
                (
                    await session.execute(
                        select(col(PartnerBooking.booking_id), col(PartnerBooking.remote_id))
                    )
                ).all()
            )
        there = {b.ref for b in rig.fake.active()}
        linked = {links[b] for b in ours if b in links}
    return {
        "operations": queued,
        "changes": len(bookings) + round_,
        "seconds": round(took, 1),
        "passes": passes,
        "lost": len(ours) - len(linked & there),
        "duplicated": len(there - linked),
    }


async def _count(db: Database, model: Any) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _open(db: Database) -> int:
    async with db.read() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(PartnerOperation)
                    .where(col(PartnerOperation.status).in_(["pending", "claimed"]))
                )
            ).scalar_one()
        )


async def main(
    backend: str, operations: int, visits: int, only: str | None, pass_seconds: float
) -> None:
    phases: dict[str, Callable[[Database], Awaitable[dict[str, Any]]]] = {
        "latency": partial(latency, visits=visits),
        "republication": partial(republication, visits=4, pass_seconds=pass_seconds),
        "convergence": partial(convergence, operations=operations),
    }
    with tempfile.TemporaryDirectory() as folder:
        for name, phase in phases.items():
            if only not in (None, name):
                continue
            db = await _database(backend, Path(folder), name)
            try:
                print(name, await phase(db), flush=True)
            finally:
                await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--operations", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--only", choices=("latency", "republication", "convergence"))
    parser.add_argument("--pass-seconds", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.operations, args.visits, args.only, args.pass_seconds))
