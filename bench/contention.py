"""Booking under contention: many patients racing for the same few earliest slots.

Each worker (one process) runs `tasks` asyncio tasks that book through
`BookingService.book`, always picking among the `hot` earliest slots still
believed free, so most attempts collide. Workers in other processes race for
the same slots. Afterwards SQL checks that no doctor is double-booked.

`python -m bench.contention` runs one worker: JSON config on stdin, the
database URL in `BENCH_WORKER_URL`, a JSON result on stdout (counts only).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from bench.dataset import NOW
from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import DomainError, SlotTaken
from core.models import Booking, Occupancy, Slot
from core.schedule.occupancy import DOCTOR
from core.vocab import BookingStatus, Channel

ACTIVE = [s.value for s in BookingStatus if s.active]
WORKER_URL_ENV = "BENCH_WORKER_URL"


@dataclass(frozen=True)
class WorkerConfig:
    """One process's share of a contention run (ids only, no patient data)."""

    doctors: list[int]
    services: dict[int, int]  # doctor -> service to book
    patients: list[int]  # one per task
    attempts: int
    hot: int
    seed: int
    start_at: float  # wall-clock instant (time.time()) all workers begin at


@dataclass(frozen=True)
class WorkerResult:
    successes: int
    taken: int
    errors: int
    started: float
    finished: float


async def _free_slots(db: Database, doctors: list[int]) -> list[tuple[datetime, int]]:
    """Future slots of these doctors whose first cell is free, earliest first."""
    taken = (
        select(col(Occupancy.id))
        .where(
            col(Occupancy.resource_kind) == DOCTOR,
            col(Occupancy.resource_id) == col(Slot.doctor_id),
            col(Occupancy.cell_at) == col(Slot.start_at),
        )
        .exists()
    )
    async with db.read() as session:
        rows = await session.execute(
            select(col(Slot.start_at), col(Slot.doctor_id))
            .where(col(Slot.doctor_id).in_(doctors), col(Slot.start_at) >= NOW, ~taken)
            .order_by(col(Slot.start_at), col(Slot.doctor_id))
        )
        return [(start, doctor) for start, doctor in rows.all()]


async def run_worker(url: str, config: WorkerConfig) -> WorkerResult:
    """Race `len(config.patients)` tasks for the earliest free slots; count the outcomes."""
    db = Database.from_url(url)
    try:
        booking = BookingService(db, FrozenClock(NOW))
        free = await _free_slots(db, config.doctors)
        rng = random.Random(config.seed)
        counts = {"successes": 0, "taken": 0, "errors": 0}
        attempts = iter(range(config.attempts))

        async def patient(patient_id: int) -> None:
            actor = Actor.patient(patient_id, Channel.TELEGRAM)
            while free and next(attempts, None) is not None:
                start, doctor = choice = rng.choice(free[: config.hot])
                request = VisitRequest(patient_id, config.services[doctor], doctor, start)
                try:
                    await booking.book(actor, request)
                    counts["successes"] += 1
                except SlotTaken:
                    counts["taken"] += 1
                except DomainError:
                    counts["errors"] += 1
                if choice in free:  # booked, by us or by someone faster
                    free.remove(choice)

        await asyncio.sleep(max(0.0, config.start_at - time.time()))
        started = time.time()
        await asyncio.gather(*(patient(p) for p in config.patients))
        return WorkerResult(started=started, finished=time.time(), **counts)
    finally:
        await db.dispose()


@dataclass(frozen=True)
class ContentionFigures:
    processes: int
    tasks: int
    attempts: int
    successes: int
    taken: int
    errors: int
    seconds: float
    double_bookings: int
    new_bookings: int
    cells_ok: bool

    @property
    def per_second(self) -> float:
        return self.successes / self.seconds


async def contention(
    url: str,
    configs: list[WorkerConfig],
    cells_per_booking: int,
) -> ContentionFigures:
    """Run the workers (in-process if one, else as processes) and check the outcome."""
    before = await _max_booking_id(url)
    if len(configs) == 1:
        results = [await run_worker(url, configs[0])]
    else:
        results = await asyncio.gather(*(_spawn(url, c) for c in configs))
    started = min(r.started for r in results)
    finished = max(r.finished for r in results)
    doubles, new, cells = await verify(url, before)
    successes = sum(r.successes for r in results)
    return ContentionFigures(
        processes=len(configs),
        tasks=sum(len(c.patients) for c in configs),
        attempts=sum(r.successes + r.taken + r.errors for r in results),
        successes=successes,
        taken=sum(r.taken for r in results),
        errors=sum(r.errors for r in results),
        seconds=finished - started,
        double_bookings=doubles,
        new_bookings=new,
        cells_ok=new == successes and cells == new * cells_per_booking,
    )


async def _spawn(url: str, config: WorkerConfig) -> WorkerResult:
    """One worker in its own interpreter; the URL goes by environment, not argv."""

    def run() -> WorkerResult:
        done = subprocess.run(
            [sys.executable, "-m", "bench.contention"],
            input=json.dumps(asdict(config)),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, WORKER_URL_ENV: url},
        )
        return WorkerResult(**json.loads(done.stdout))

    return await asyncio.to_thread(run)


async def _max_booking_id(url: str) -> int:
    db = Database.from_url(url)
    try:
        async with db.read() as session:
            found = (await session.execute(select(func.max(col(Booking.id))))).scalar()
            return int(found or 0)
    finally:
        await db.dispose()


async def verify(url: str, before: int) -> tuple[int, int, int]:
    """Overlapping active bookings of one doctor (from now on), new bookings, their cells.

    Pairs are ordered by start (then id), so the partner of each booking is looked
    up in the short index range [its start, its end) of the same doctor.
    """
    a, b = aliased(Booking), aliased(Booking)
    overlaps = (
        select(func.count())
        .select_from(a)
        .join(
            b,
            and_(
                col(b.doctor_id) == col(a.doctor_id),
                col(b.id) != col(a.id),
                col(b.start_at) >= col(a.start_at),  # alone, so that it bounds the index range
                or_(
                    col(b.start_at) > col(a.start_at),
                    and_(col(b.start_at) == col(a.start_at), col(b.id) > col(a.id)),
                ),
                col(b.start_at) < col(a.end_at),
            ),
        )
        .where(col(a.start_at) >= NOW, col(a.status).in_(ACTIVE), col(b.status).in_(ACTIVE))
    )
    new = select(func.count()).where(col(Booking.id) > before, col(Booking.status).in_(ACTIVE))
    cells = select(func.count()).where(
        col(Occupancy.booking_id) > before, col(Occupancy.resource_kind) == DOCTOR
    )
    db = Database.from_url(url)
    try:
        async with db.read() as session:
            return (
                int((await session.execute(overlaps)).scalar_one()),
                int((await session.execute(new)).scalar_one()),
                int((await session.execute(cells)).scalar_one()),
            )
    finally:
        await db.dispose()


def _main() -> None:
    raw = json.loads(sys.stdin.read())
    raw["services"] = {int(k): v for k, v in raw["services"].items()}
    result = asyncio.run(run_worker(os.environ[WORKER_URL_ENV], WorkerConfig(**raw)))
    sys.stdout.write(json.dumps(asdict(result)))


if __name__ == "__main__":
    _main()
