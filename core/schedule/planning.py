"""Planning slots from weekly templates, pure: no database, no clock.

Local wall-clock times of a template are turned into UTC instants day by day
in the branch's time zone, so 08:00 stays 08:00 across daylight-saving
changes. A period that spans a change lasts its real (elapsed) length; a
local start that does not exist (the spring gap) begins when clocks resume.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import ScheduleInvalid
from core.models import ScheduleBreak, ScheduleTemplate

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
