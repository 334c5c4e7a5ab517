"""Weekly templates become slots; regeneration never silently drops a booked one.

Local wall-clock times of a template are turned into UTC instants day by day
in the branch's time zone, so 08:00 stays 08:00 across daylight-saving
changes. A period that spans a change lasts its real (elapsed) length; a
local start that does not exist (the spring gap) begins when clocks resume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clinic.grid import check_template
from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import ScheduleInvalid
from core.journal import emit
from core.models import (
    Absence,
    Booking,
    Branch,
    Occupancy,
    ScheduleBreak,
    ScheduleConflict,
    ScheduleTemplate,
    Slot,
)
from core.schedule.occupancy import DOCTOR
from core.vocab import EventKind

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class PlannedSlot:
    doctor_id: int
    branch_id: int
    room_id: int | None
    template_id: int
    start_at: datetime
    end_at: datetime
    availability: int


@dataclass
class GenerationReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    conflicts: list[int] = field(default_factory=list)  # booking ids left without a slot


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time.

    An ambiguous time (the autumn hour that repeats) takes its first occurrence;
    a time that does not exist (the spring gap) becomes the first instant after it.
    """
    wall = datetime.combine(day, at)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    instant = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)  # the earlier reading
    while instant.astimezone(tz).replace(tzinfo=None) < wall:
        instant += timedelta(minutes=1)
    return instant


def subtract(period: Span, cuts: Iterable[Span]) -> list[Span]:
    """The parts of `period` not covered by any cut."""
    parts = [period]
    for cut_start, cut_end in cuts:
        next_parts = []
        for start, end in parts:
            if cut_end <= start or cut_start >= end:
                next_parts.append((start, end))
                continue
            if start < cut_start:
                next_parts.append((start, cut_start))
            if cut_end < end:
                next_parts.append((cut_end, end))
        parts = next_parts
    return parts


def plan_slots(
    templates: Sequence[ScheduleTemplate],
    breaks: dict[int, list[ScheduleBreak]],
    absences: dict[int, list[Span]],
    zones: dict[int, ZoneInfo],
    first_day: date,
    last_day: date,
) -> dict[tuple[int, datetime], PlannedSlot]:
    """Every slot the templates give from `first_day` to `last_day` inclusive (pure)."""
    planned: dict[tuple[int, datetime], PlannedSlot] = {}
    day = first_day
    while day <= last_day:
        for template in templates:
            if template.weekday != day.weekday() or day < template.valid_from:
                continue
            if template.valid_until is not None and day > template.valid_until:
                continue
            assert template.id is not None
            tz = zones[template.branch_id]
            period = (
                local_instant(day, template.start_time, tz),
                local_instant(day, template.end_time, tz),
            )
            cuts = [
                (local_instant(day, b.start_time, tz), local_instant(day, b.end_time, tz))
                for b in breaks.get(template.id, [])
            ]
            cuts += absences.get(template.doctor_id, [])
            step = timedelta(minutes=template.slot_minutes)
            for start, end in subtract(period, cuts):
                at = start
                while at + step <= end:
                    key = (template.doctor_id, at)
                    if key in planned:
                        raise ScheduleInvalid(
                            "two templates of one doctor overlap",
                            doctor_id=template.doctor_id,
                            at=at.isoformat(),
                        )
                    planned[key] = PlannedSlot(
                        doctor_id=template.doctor_id,
                        branch_id=template.branch_id,
                        room_id=template.room_id,
                        template_id=template.id,
                        start_at=at,
                        end_at=at + step,
                        availability=template.availability,
                    )
                    at += step
        day += timedelta(days=1)
    return planned


class ScheduleService:
    """Generates and regenerates slots from the doctors' weekly templates."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def regenerate(
        self, first_day: date, last_day: date, doctor_id: int | None = None
    ) -> GenerationReport:
        """Make the slots of these local days match the templates.

        Free slots that no template gives any more are removed; booked ones
        stay and are reported as conflicts for the desk to resolve.
        """
        return await self.db.write(
            lambda session: self._regenerate(session, first_day, last_day, doctor_id)
        )

    async def _regenerate(
        self, session: AsyncSession, first_day: date, last_day: date, doctor_id: int | None
    ) -> GenerationReport:
        now = self.clock.now()
        template_query = select(ScheduleTemplate)
        if doctor_id is not None:
            template_query = template_query.where(col(ScheduleTemplate.doctor_id) == doctor_id)
        templates = list((await session.execute(template_query)).scalars())
        for template in templates:
            check_template(template)
        zones = {
            b.id: ZoneInfo(b.timezone)
            for b in (await session.execute(select(Branch))).scalars()
            if b.id is not None
        }
        breaks: dict[int, list[ScheduleBreak]] = defaultdict(list)
        for brk in (await session.execute(select(ScheduleBreak))).scalars():
            breaks[brk.template_id].append(brk)

        # A UTC window wide enough for any zone's local days; trimmed by local date below.
        window = (
            datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=1),
            datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(days=2),
        )
        absences: dict[int, list[Span]] = defaultdict(list)
        for absence in (
            await session.execute(
                select(Absence).where(
                    col(Absence.start_at) < window[1], col(Absence.end_at) > window[0]
                )
            )
        ).scalars():
            absences[absence.doctor_id].append((absence.start_at, absence.end_at))
        planned = plan_slots(templates, breaks, absences, zones, first_day, last_day)

        existing_query = select(Slot).where(
            col(Slot.start_at) >= window[0], col(Slot.start_at) < window[1]
        )
        if doctor_id is not None:
            existing_query = existing_query.where(col(Slot.doctor_id) == doctor_id)
        existing = {
            (s.doctor_id, s.start_at): s
            for s in (await session.execute(existing_query.with_for_update())).scalars()
            if first_day <= s.start_at.astimezone(zones[s.branch_id]).date() <= last_day
        }

        report = GenerationReport()
        for key, slot in existing.items():
            plan = planned.get(key)
            if plan is None:
                continue
            wanted = (
                plan.end_at,
                plan.branch_id,
                plan.room_id,
                plan.template_id,
                plan.availability,
            )
            if (
                slot.end_at,
                slot.branch_id,
                slot.room_id,
                slot.template_id,
                slot.availability,
            ) != wanted:
                slot.end_at, slot.branch_id, slot.room_id, slot.template_id, slot.availability = (
                    wanted
                )
                report.updated += 1

        stale = [slot for key, slot in existing.items() if key not in planned]
        booked = await self._bookings_over(session, stale)
        removable = [s.id for s in stale if s.id not in booked]
        if removable:
            await session.execute(delete(Slot).where(col(Slot.id).in_(removable)))
        report.removed = len(removable)
        for slot_id, booking_ids in booked.items():
            slot = next(s for s in stale if s.id == slot_id)
            for booking_id in booking_ids:
                await self._report_conflict(session, booking_id, slot, now)
                report.conflicts.append(booking_id)

        fresh = [
            {
                "doctor_id": p.doctor_id,
                "branch_id": p.branch_id,
                "room_id": p.room_id,
                "template_id": p.template_id,
                "start_at": p.start_at,
                "end_at": p.end_at,
                "availability": p.availability,
            }
            for key, p in planned.items()
            if key not in existing
        ]
        report.created = await _insert_new_slots(session, fresh)
        return report

    async def _bookings_over(
        self, session: AsyncSession, slots: list[Slot]
    ) -> dict[int | None, set[int]]:
        """Which of these slots have a booked cell, and by which bookings (one query)."""
        if not slots:
            return {}
        rows = await session.execute(
            select(
                col(Occupancy.resource_id), col(Occupancy.cell_at), col(Occupancy.booking_id)
            ).where(
                col(Occupancy.resource_kind) == DOCTOR,
                col(Occupancy.resource_id).in_({s.doctor_id for s in slots}),
                col(Occupancy.cell_at) >= min(s.start_at for s in slots),
                col(Occupancy.cell_at) < max(s.end_at for s in slots),
                col(Occupancy.booking_id).is_not(None),
            )
        )
        booked_cells: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for doctor_id, cell_at, booking_id in rows.all():
            if booking_id is not None:
                booked_cells[doctor_id].append((cell_at, booking_id))
        found: dict[int | None, set[int]] = {}
        for slot in slots:
            inside = {
                booking_id
                for cell_at, booking_id in booked_cells[slot.doctor_id]
                if slot.start_at <= cell_at < slot.end_at
            }
            if inside:
                found[slot.id] = inside
        return found

    async def _report_conflict(
        self, session: AsyncSession, booking_id: int, slot: Slot, now: datetime
    ) -> None:
        booking = await session.get_one(Booking, booking_id)
        inserted = await session.execute(
            insert_or_skip(session, ScheduleConflict, "booking_id", "start_at")
            .values(
                booking_id=booking_id,
                doctor_id=slot.doctor_id,
                start_at=booking.start_at,
                detected_at=now,
            )
            .returning(col(ScheduleConflict.id))
        )
        if inserted.first() is not None:
            emit(
                session,
                EventKind.SCHEDULE_CONFLICT,
                at=now,
                booking_id=booking_id,
                doctor_id=slot.doctor_id,
                start_at=booking.start_at,
            )


async def _insert_new_slots(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert slots, skipping any another regeneration inserted meanwhile."""
    created = 0
    for chunk_start in range(0, len(rows), 500):
        chunk = rows[chunk_start : chunk_start + 500]
        result = await session.execute(
            insert_or_skip(session, Slot, "doctor_id", "start_at")
            .values(chunk)
            .returning(col(Slot.id))
        )
        created += len(result.all())
    return created
