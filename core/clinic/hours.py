"""A branch's opening hours (local wall-clock periods per weekday) read against an instant."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.models import Branch

WEEK = 7


def periods_on(branch: Branch, day: date) -> list[tuple[time, time]]:
    """The branch's opening periods on a local calendar day (none when closed)."""
    return [
        (time.fromisoformat(start), time.fromisoformat(end))
        for start, end in branch.opening_hours.get(str(day.weekday()), [])
    ]


def is_open(branch: Branch, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(branch.timezone))
    return any(start <= local.time() < end for start, end in periods_on(branch, local.date()))


def next_opening(branch: Branch, at: datetime) -> datetime | None:
    """When the branch next opens after `at` (local time), or None if it never does."""
    zone = ZoneInfo(branch.timezone)
    local = at.astimezone(zone)
    for offset in range(WEEK + 1):
        day = local.date() + timedelta(days=offset)
        for start, _end in periods_on(branch, day):
            opening = datetime.combine(day, start, tzinfo=zone)
            if opening > local:
                return opening
    return None
