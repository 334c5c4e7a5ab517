"""Free-slot search: the earliest times that a channel may offer for a service or doctor.

The query walks the slot index forward from the asked time and stops once it
has enough: it never reads past bookings, so it does not slow down as the
clinic's history grows. The query itself drops the slots where any cell of the
visit is taken (doctor or room) and, for a visit longer than its slot, those
that do not run on in the doctor's following slots: a batch holds only times
that can be offered, and one statement a window finds them. A service's doctors are
read with the service, so each window walks only their slots, and only those whose
start no booking holds (`slot.start_booked`, kept by the database's triggers): in a
nearly full calendar the checks run on a tenth of the slots. The walk's statements,
built once, are in core/schedule/search_statements.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clinic.restrictions import check_restrictions
from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.models import Branch, Doctor, DoctorService, Patient, ScheduleTemplate, Service, Slot
from core.schedule.search_statements import CandidateShape, candidate_read
from core.vocab import Availability, Channel

DEFAULT_HORIZON = timedelta(days=90)
FIRST_WINDOW = timedelta(days=1)
# A walk for one free slot (the first of a day, of a branch) starts wider: a week
# spans the days a doctor does not work, in one read instead of one per empty day.
FIRST_WINDOW_OF_ONE = timedelta(days=7)
FIRST_BATCH = 10
MAX_BATCH = 200
MAX_LIMIT = 100


@dataclass(frozen=True)
class SlotQuery:
    """What a patient or the desk asks for; every filter is optional but the channel."""

    channel: Channel
    service_id: int | None = None
    specialty_id: int | None = None
    doctor_id: int | None = None
    branch_id: int | None = None
    language: str | None = None
    start: datetime | None = None  # default: now
    end: datetime | None = None  # default: start + 90 days
    time_from: time | None = None  # local time of day at the branch
    time_to: time | None = None
    patient_id: int | None = None  # to honour the service's restrictions
    limit: int = 5


@dataclass(frozen=True)
class Visit:
    """What the asked service sets for the walk: the visit's length (None: a slot's own)
    and the active doctors who perform it (None: no service asked).

    The doctors are read once per search, so each candidate read walks only their
    slots through the (doctor, start) index: a service performed by a fifth of the
    doctors reads a fifth of the day's slots instead of testing every one.
    """

    duration: timedelta | None = None
    doctors: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FreeSlot:
    doctor_id: int
    branch_id: int
    room_id: int | None
    service_id: int | None
    start_at: datetime
    end_at: datetime
    timezone: str

    def local_start(self) -> datetime:
        return self.start_at.astimezone(ZoneInfo(self.timezone))


class SlotSearch:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def find(self, query: SlotQuery) -> list[FreeSlot]:
        """Free slots matching the query, earliest first, at most `query.limit`."""
        if not 1 <= query.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
        async with self.db.read() as session:
            return await find_free(session, query, self.clock.now())

    async def earliest_days(self, query: SlotQuery, days: int) -> list[FreeSlot]:
        """The first free slot of each of the `days` earliest days that have one.

        A day is the branch's local day. One small search per day, so a busy
        service whose first day holds hundreds of free times still shows its
        following days.
        """
        now = self.clock.now()
        start = max(query.start or now, now)
        end = query.end or start + DEFAULT_HORIZON
        firsts: list[FreeSlot] = []
        async with self.db.read() as session:
            visit = await _visit(session, query, now)
            while len(firsts) < days and start < end:
                one = replace(query, start=start, end=end, limit=1)
                found = await _walk(session, one, visit, now, FIRST_WINDOW_OF_ONE)
                if not found:
                    break
                firsts.append(found[0])
                local = found[0].local_start()
                start = datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)
        return firsts

    async def branches(self, query: SlotQuery) -> list[int]:
        """The branches with a free slot for the query, the earliest one first.

        Only branches where a matching doctor works (their weekly templates)
        are searched, one free slot each.
        """
        now = self.clock.now()
        start = max(query.start or now, now)
        async with self.db.read() as session:
            stmt = (
                select(col(ScheduleTemplate.branch_id))
                .join(Doctor, col(Doctor.id) == col(ScheduleTemplate.doctor_id))
                .where(
                    col(Doctor.active).is_(True),
                    or_(
                        col(ScheduleTemplate.valid_until).is_(None),
                        col(ScheduleTemplate.valid_until) >= start.date(),
                    ),
                )
                .distinct()
            )
            if query.doctor_id is not None:
                stmt = stmt.where(col(ScheduleTemplate.doctor_id) == query.doctor_id)
            if query.service_id is not None:
                stmt = stmt.where(
                    exists().where(
                        col(DoctorService.doctor_id) == col(ScheduleTemplate.doctor_id),
                        col(DoctorService.service_id) == query.service_id,
                    )
                )
            visit = await _visit(session, query, now)
            firsts: list[FreeSlot] = []
            for branch_id in (await session.execute(stmt)).scalars():
                one = replace(query, branch_id=branch_id, limit=1)
                firsts.extend(await _walk(session, one, visit, now, FIRST_WINDOW_OF_ONE))
        return [
            slot.branch_id
            for slot in sorted(firsts, key=lambda slot: (slot.start_at, slot.branch_id))
        ]

    async def doctor_day(
        self, doctor_id: int, day: date, channel: Channel, service_id: int | None = None
    ) -> list[FreeSlot]:
        """A doctor's free slots on one local day of the branch they work at."""
        async with self.db.read() as session:
            zones = {
                tz
                for (tz,) in (
                    await session.execute(
                        select(col(Branch.timezone))
                        .join(Slot, col(Slot.branch_id) == col(Branch.id))
                        .where(
                            col(Slot.doctor_id) == doctor_id,
                            # Every zone's local day lies in this UTC window: no history read.
                            col(Slot.start_at)
                            >= datetime.combine(day, time(), tzinfo=UTC) - timedelta(days=1),
                            col(Slot.start_at)
                            < datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=2),
                        )
                        .distinct()
                    )
                ).all()
            } or {"UTC"}
            tz = ZoneInfo(sorted(zones)[0])
            start = datetime.combine(day, time(), tzinfo=tz)
            query = SlotQuery(
                channel=channel,
                doctor_id=doctor_id,
                service_id=service_id,
                start=start,
                end=start + timedelta(days=1),
                limit=MAX_LIMIT,
            )
            return await find_free(session, query, self.clock.now())


def _shape(
    query: SlotQuery, after: tuple[datetime, int] | None, bits: int, visit: Visit
) -> CandidateShape:
    return CandidateShape(
        paged=after is not None,
        channel_bits=bool(bits),
        doctor=query.doctor_id is not None,
        branch=query.branch_id is not None,
        service=visit.doctors is not None,
        specialty=query.specialty_id is not None,
        language=query.language is not None,
        visit_minutes=visit.duration is not None,
    )


def _bind(
    query: SlotQuery,
    after: tuple[datetime, int] | None,
    bits: int,
    window: tuple[datetime, datetime],
    batch: int,
    now: datetime,
    visit: Visit,
) -> dict[str, object]:
    """The values of a candidate read; None-valued filters are not in its shape."""
    values: dict[str, object] = {
        "low": window[0],
        "high": window[1],
        "batch": batch,
        "now": now,
        "bits": bits,
        "doctor_id": query.doctor_id,
        "branch_id": query.branch_id,
        "doctors": list(visit.doctors or ()),
        "specialty_id": query.specialty_id,
        "language": query.language,
    }
    if visit.duration is not None:
        values["minutes"] = visit.duration // timedelta(minutes=1)
    if after is not None:
        values["after_start"], values["after_doctor"] = after
    return values


async def find_free(session: AsyncSession, query: SlotQuery, now: datetime) -> list[FreeSlot]:
    """The search itself, inside the caller's transaction (holds and bookings reuse it)."""
    return await _walk(session, query, await _visit(session, query, now), now)


async def _visit(session: AsyncSession, query: SlotQuery, now: datetime) -> Visit:
    """The asked service's visit length and active doctors, once its restrictions are checked."""
    if query.service_id is None:
        return Visit()
    # The service and its active doctors in one row: a row per doctor repeated the
    # service, loaded as an object each time (a third of a short search's time).
    doctors = (
        select(func.aggregate_strings(cast(col(DoctorService.doctor_id), String), ","))
        .join(Doctor, col(Doctor.id) == col(DoctorService.doctor_id))
        .where(col(DoctorService.service_id) == col(Service.id), col(Doctor.active).is_(True))
        .scalar_subquery()
    )
    row = (
        await session.execute(select(Service, doctors).where(col(Service.id) == query.service_id))
    ).first()
    if row is None or not row[0].active:
        raise NotFound("no such service")
    service, listed = row
    if query.patient_id is not None:
        patient = await session.get(Patient, query.patient_id)
        if patient is None:
            raise NotFound("no such patient")
        check_restrictions(service, patient, (query.start or now).date())
    ids = tuple(sorted(int(doctor) for doctor in listed.split(","))) if listed else ()
    return Visit(timedelta(minutes=service.duration_minutes), ids)


async def _walk(
    session: AsyncSession,
    query: SlotQuery,
    visit: Visit,
    now: datetime,
    window: timedelta = FIRST_WINDOW,
) -> list[FreeSlot]:
    start = max(query.start or now, now)
    end = query.end or start + DEFAULT_HORIZON
    bits = int(Availability.for_channel(query.channel))
    found: list[FreeSlot] = []
    if visit.doctors == ():  # no doctor performs the service
        return found
    # Walk the horizon in windows that double (from `window`) and batches that
    # double: the database never sorts more than a small window, and a full
    # calendar costs a few more small reads instead of one huge one.
    after: tuple[datetime, int] | None = None
    batch = max(query.limit * 2, FIRST_BATCH)
    low = start
    conn = await session.connection()  # rows, not objects: past the ORM's layer
    while len(found) < query.limit and low < end:
        high = min(end, low + window)
        stmt = candidate_read(_shape(query, after, bits, visit))
        values = _bind(query, after, bits, (low, high), batch, now, visit)
        rows = (await conn.execute(stmt, values)).all()
        found.extend(_settle(rows, visit.duration, query))
        if len(rows) == batch:  # more in this window
            after = (rows[-1].start_at, rows[-1].doctor_id)
            batch = min(batch * 2, MAX_BATCH)
            continue
        low, after, window = high, None, window * 2
    return found[: query.limit]


def _settle(
    rows: Sequence[Row[int, int, int | None, datetime, datetime, int, str]],
    duration: timedelta | None,
    query: SlotQuery,
) -> list[FreeSlot]:
    """The candidates (whole visits free and in usable slots: the query saw to it) that
    start inside the asked hours of the day."""
    free: list[FreeSlot] = []
    for slot in rows:
        if not _in_time_window(slot.start_at, slot.timezone, query):
            continue
        free.append(
            FreeSlot(
                doctor_id=slot.doctor_id,
                branch_id=slot.branch_id,
                room_id=slot.room_id,
                service_id=query.service_id,
                start_at=slot.start_at,
                end_at=slot.start_at + (duration or (slot.end_at - slot.start_at)),
                timezone=slot.timezone,
            )
        )
    return free


def _in_time_window(start: datetime, tz: str, query: SlotQuery) -> bool:
    if query.time_from is None and query.time_to is None:
        return True
    local = start.astimezone(ZoneInfo(tz)).time()
    if query.time_from is not None and local < query.time_from:
        return False
    return query.time_to is None or local < query.time_to
