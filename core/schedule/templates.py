"""Weekly templates become slots; regeneration never silently drops a booked one.

The slots a template gives are planned in core/schedule/planning.py (pure, and
where local times meet daylight-saving changes); `ScheduleService` makes the
stored slots match the plan, and reports the booked ones no template gives any more.
"""

from __future__ import annotations

from collections import defaultdict
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
from core.schedule.planning import PlannedSlot, Span, plan_slots
from core.vocab import EventKind

SlotKey = tuple[int, datetime]  # a doctor's slot by its start: one per doctor and instant


@dataclass
class GenerationReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    conflicts: list[int] = field(default_factory=list)  # booking ids left without a slot


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
        # A UTC window wide enough for any zone's local days; trimmed by local date below.
        window = (
            datetime.combine(first_day, time(), tzinfo=UTC) - timedelta(days=1),
            datetime.combine(last_day, time(), tzinfo=UTC) + timedelta(days=2),
        )
        planned, zones = await _plan(session, first_day, last_day, doctor_id, window)
        existing = await _existing_slots(session, first_day, last_day, doctor_id, window, zones)
        report = GenerationReport(updated=_update_changed(existing, planned))
        stale = [slot for key, slot in existing.items() if key not in planned]
        await self._remove_stale(session, stale, now, report)
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

    async def _remove_stale(
        self, session: AsyncSession, stale: list[Slot], now: datetime, report: GenerationReport
    ) -> None:
        """Delete the slots no template gives any more, but keep and report the booked ones."""
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


async def _plan(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    doctor_id: int | None,
    window: Span,
) -> tuple[dict[SlotKey, PlannedSlot], dict[int, ZoneInfo]]:
    """The slots the templates give on these local days (with the branches' zones), after
    checking every template; absences are read for the UTC `window`."""
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
    absences: dict[int, list[Span]] = defaultdict(list)
    for absence in (
        await session.execute(
            select(Absence).where(
                col(Absence.start_at) < window[1], col(Absence.end_at) > window[0]
            )
        )
    ).scalars():
        absences[absence.doctor_id].append((absence.start_at, absence.end_at))
    return plan_slots(templates, breaks, absences, zones, first_day, last_day), zones


async def _existing_slots(
    session: AsyncSession,
    first_day: date,
    last_day: date,
    doctor_id: int | None,
    window: Span,
    zones: dict[int, ZoneInfo],
) -> dict[SlotKey, Slot]:
    """The stored slots of these local days, row-locked, by doctor and start."""
    existing_query = select(Slot).where(
        col(Slot.start_at) >= window[0], col(Slot.start_at) < window[1]
    )
    if doctor_id is not None:
        existing_query = existing_query.where(col(Slot.doctor_id) == doctor_id)
    return {
        (s.doctor_id, s.start_at): s
        for s in (await session.execute(existing_query.with_for_update())).scalars()
        if first_day <= s.start_at.astimezone(zones[s.branch_id]).date() <= last_day
    }


def _update_changed(existing: dict[SlotKey, Slot], planned: dict[SlotKey, PlannedSlot]) -> int:
    """Give the stored slots that are still planned their planned shape; how many changed."""
    updated = 0
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
            slot.end_at, slot.branch_id, slot.room_id, slot.template_id, slot.availability = wanted
            updated += 1
    return updated


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
