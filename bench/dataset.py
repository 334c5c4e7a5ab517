"""The benchmark clinic: doctors with weekly templates, a booked future and a long history.

The structure goes in through the engine's own `StructureWriter`; slots come
from the engine's own `plan_slots` (so local times and daylight saving are
exactly what the engine would generate) but are written in bulk, together
with bookings and their occupancy cells, by a `BulkLoader`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bench.bulk import BulkLoader, Row
from core.clinic.structure import StructureWriter
from core.db.database import Database
from core.models import Patient, ScheduleTemplate
from core.schedule.occupancy import DOCTOR, ROOM
from core.schedule.planning import PlannedSlot, plan_slots
from core.schedule.slots import cells
from core.vocab import Availability, BookingStatus, Channel, CommunicationStatus, Sex

# Monday 07:00 in Warsaw: before any shift starts, so every slot of today is ahead.
NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
PATIENTS_SINCE = NOW - timedelta(days=900)
ZONE = "Europe/Warsaw"
SHIFTS = (("08:00", "14:00"), ("13:00", "19:00"))  # 24 slots of 15 minutes each
BRANCHES = 4
SERVICES = 8  # seven 15-minute services and one 30-minute one
PAST_FILL = 0.8  # share of past slots that were booked
SOURCES = tuple(c.value for c in (Channel.TELEGRAM, Channel.WHATSAPP, Channel.VOICE, Channel.WEB))
PAST_SHARES = (0.88, 0.96)  # cumulative: completed, cancelled, the rest no-show
CHUNK_DAYS = 7

SLOT_COLUMNS = (
    "doctor_id",
    "branch_id",
    "room_id",
    "template_id",
    "start_at",
    "end_at",
    "availability",
    "start_booked",  # as the database's triggers keep it (migration 0019)
)
BOOKING_COLUMNS = (
    "id",
    "patient_id",
    "service_id",
    "doctor_id",
    "branch_id",
    "room_id",
    "start_at",
    "end_at",
    "status",
    "source",
    "communication_status",
    "cancel_reason",
    "cancelled_at",
    "created_at",
    "updated_at",
)
CELL_COLUMNS = ("resource_kind", "resource_id", "cell_at", "booking_id")


@dataclass(frozen=True)
class Shape:
    """How big the clinic is: doctors, days of slots ahead, patients, history sizes."""

    doctors: int
    days: int
    patients: int
    history: tuple[int, ...]


FULL = Shape(doctors=200, days=90, patients=1000, history=(10_000, 1_000_000))
QUICK = Shape(doctors=20, days=14, patients=100, history=(1_000, 10_000))


def future_fill(days_ahead: int) -> float:
    """Share of slots already booked `days_ahead` days from today (about 28% over 90 days)."""
    return 0.95 * math.exp(-days_ahead / 28)


@dataclass
class Roster:
    """What the benchmark needs to know about the clinic it built (ids only)."""

    today: date
    doctors: list[int]
    primary: dict[int, int]  # doctor -> the 15-minute service most of its visits are
    offered_by: dict[int, list[int]]  # service -> doctors performing it
    minutes: dict[int, int]  # service -> visit length
    patients: list[int]
    templates: list[ScheduleTemplate]
    zones: dict[int, ZoneInfo]


async def build_structure(db: Database, shape: Shape) -> Roster:
    """Clinic, branches, services, doctors (a quarter with a room) and their templates."""
    today = NOW.astimezone(ZoneInfo(ZONE)).date()

    async def work(session: AsyncSession) -> Roster:
        w = StructureWriter(session)
        clinic = await w.clinic("Bench Clinic")
        branches = [
            await w.branch(
                clinic,
                f"Branch {b}",
                address=f"Street {b}",
                city="Warszawa",
                phone=f"+48 22 100 00 {10 + b}",
                timezone=ZONE,
            )
            for b in range(BRANCHES)
        ]
        services = [
            await w.service(
                clinic,
                f"S{s}",
                f"Service {s}",
                minutes=30 if s == SERVICES - 1 else 15,
                price="150.00",
            )
            for s in range(SERVICES)
        ]
        short, long_visit = services[:-1], services[-1]
        roster = Roster(today, [], {}, {}, {}, [], [], {})
        for d in range(shape.doctors):
            offers = [short[d % len(short)]]
            if d < shape.doctors * 0.35:
                offers.append(short[(d + 3) % len(short)])
            if d % 5 == 0:
                offers.append(long_visit)
            branch = branches[d % BRANCHES]
            doctor = await w.doctor(clinic, "Doctor", f"No{d:03d}", services=offers)
            room = await w.room(branch, f"Room {d}") if d % BRANCHES == 0 else None
            start, end = SHIFTS[d % len(SHIFTS)]
            roster.templates += await w.template(
                doctor,
                branch,
                weekdays=range(5),
                start=start,
                end=end,
                valid_from=today - timedelta(days=800),
                availability=Availability.ALL,
                room=room,
            )
            assert doctor.id is not None
            assert offers[0].id is not None
            roster.doctors.append(doctor.id)
            roster.primary[doctor.id] = offers[0].id
            for service in offers:
                assert service.id is not None
                roster.offered_by.setdefault(service.id, []).append(doctor.id)
        for service in services:
            assert service.id is not None
            roster.minutes[service.id] = service.duration_minutes
        roster.zones = {b.id: ZoneInfo(b.timezone) for b in branches if b.id is not None}
        roster.patients = await _patients(session, shape.patients)
        return roster

    return await db.write(work)


async def _patients(session: AsyncSession, count: int) -> list[int]:
    """Synthetic cards (no real names, no identifiers) for the bookings to point at."""
    await session.execute(
        insert(Patient),
        [
            {
                "first_name": "Bench",
                "last_name": f"Patient{n:05d}",
                "birth_date": date(1960, 1, 1) + timedelta(days=n * 7),
                "sex": Sex.FEMALE if n % 2 else Sex.MALE,
                "created_at": PATIENTS_SINCE,
            }
            for n in range(count)
        ],
    )
    rows = await session.execute(select(col(Patient.id)).order_by(col(Patient.id)))
    return [int(pid) for pid in rows.scalars() if pid is not None]


@dataclass
class Batch:
    """Rows of a few days, ready for the loader."""

    slots: list[Row] = field(default_factory=list)
    bookings: list[Row] = field(default_factory=list)
    cells: list[Row] = field(default_factory=list)

    async def write(self, loader: BulkLoader) -> None:
        await loader.insert("slot", SLOT_COLUMNS, self.slots)
        await loader.insert("booking", BOOKING_COLUMNS, self.bookings)
        await loader.insert("occupancy", CELL_COLUMNS, self.cells)


class RowMaker:
    """Generates slots, bookings and cells day by day, reproducibly from a seed.

    The future is generated once; the history grows backwards from yesterday in
    stages, so a larger history is the smaller one plus older days. Generation
    (in a worker thread) overlaps with the loader writing the previous batch.
    """

    def __init__(self, roster: Roster, seed: int = 7) -> None:
        self.roster = roster
        self.loader: BulkLoader | None = None
        self.rng = random.Random(seed)
        self.next_id = 1  # bookings get explicit ids: their cells refer to them
        self.history_day = roster.today - timedelta(days=1)
        self.counts: Counter[str] = Counter()

    async def load_future(self, loader: BulkLoader, days: int) -> None:
        self.loader = loader
        days_left = iter(range(days))

        def chunk() -> Batch | None:
            batch = Batch()
            for offset in islice(days_left, CHUNK_DAYS):
                day = self.roster.today + timedelta(days=offset)
                self._day(batch, day, future_fill(offset), None)
            return batch if batch.slots else None

        await self._pipeline(chunk)

    async def extend_history(self, loader: BulkLoader, total: int) -> None:
        """Add older days until `total` past bookings exist."""
        self.loader = loader

        def chunk() -> Batch | None:
            batch = Batch()
            for _ in range(CHUNK_DAYS):
                if self.counts["past_bookings"] >= total:
                    break
                self._day(batch, self.history_day, PAST_FILL, total)
                self.history_day -= timedelta(days=1)
            return batch if batch.slots else None

        await self._pipeline(chunk)

    async def _pipeline(self, chunk: Callable[[], Batch | None]) -> None:
        assert self.loader is not None
        writing: asyncio.Task[None] | None = None
        while (batch := await asyncio.to_thread(chunk)) is not None:
            if writing is not None:
                await writing
            writing = asyncio.create_task(batch.write(self.loader))
        if writing is not None:
            await writing

    def _day(self, batch: Batch, day: date, fill: float, limit: int | None) -> None:
        """One day's slots, a `fill` share of them booked; `limit` caps past bookings."""
        planned = plan_slots(self.roster.templates, {}, {}, self.roster.zones, day, day)
        past = limit is not None
        assert self.loader is not None
        at = self.loader.instant
        for plan in sorted(planned.values(), key=lambda p: (p.start_at, p.doctor_id)):
            self.counts["past_slots" if past else "future_slots"] += 1
            full = past and self.counts["past_bookings"] >= (limit or 0)
            # The loader may bypass triggers (PostgreSQL's COPY as a replica): the slot
            # says itself whether an active booking holds its start.
            booked = not full and self.rng.random() < fill and self._book(batch, plan, past)
            batch.slots.append(
                (
                    plan.doctor_id,
                    plan.branch_id,
                    plan.room_id,
                    plan.template_id,
                    at(plan.start_at),
                    at(plan.end_at),
                    plan.availability,
                    booked,
                )
            )

    def _status(self, past: bool) -> BookingStatus:
        draw = self.rng.random()
        if not past:
            return BookingStatus.BOOKED if draw < 0.8 else BookingStatus.CONFIRMED
        if draw < PAST_SHARES[0]:
            return BookingStatus.COMPLETED
        return BookingStatus.CANCELLED if draw < PAST_SHARES[1] else BookingStatus.NO_SHOW

    def _book(self, batch: Batch, plan: PlannedSlot, past: bool) -> bool:
        """Book the slot; True if the booking is active (its cells taken)."""
        assert self.loader is not None
        rng, at = self.rng, self.loader.instant
        booking_id = self.next_id
        self.next_id += 1
        status = self._status(past)
        ago = timedelta(hours=int(rng.random() * 720) + 1)
        created = plan.start_at - ago if past else NOW - ago
        cancelled = status is BookingStatus.CANCELLED
        told = CommunicationStatus.REMINDER_SENT if past else CommunicationStatus.CONFIRMATION_SENT
        batch.bookings.append(
            (
                booking_id,
                self.roster.patients[int(rng.random() * len(self.roster.patients))],
                self.roster.primary[plan.doctor_id],
                plan.doctor_id,
                plan.branch_id,
                plan.room_id,
                at(plan.start_at),
                at(plan.end_at),
                status.value,
                SOURCES[int(rng.random() * len(SOURCES))],
                told.value,
                "bench" if cancelled else None,
                at(plan.start_at - timedelta(hours=20)) if cancelled else None,
                at(created),
                at(plan.end_at if past else created),
            )
        )
        self.counts["past_bookings" if past else "future_bookings"] += 1
        if not status.active:  # cancelled and no-show visits gave their cells back
            return False
        for cell in cells(plan.start_at, plan.end_at):
            batch.cells.append((DOCTOR, plan.doctor_id, at(cell), booking_id))
            if plan.room_id is not None:
                batch.cells.append((ROOM, plan.room_id, at(cell), booking_id))
                self.counts["cells"] += 1
            self.counts["cells"] += 1
        return True
