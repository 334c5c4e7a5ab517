"""Quiet hours: when no message may wake a patient. The planner delays messages past them
and the waiting list starts an offer's time to answer when they end (ground: both use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """No messages between `start` and `end`, local time (the window may span midnight)."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def holds(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime, tz: str) -> datetime:
        """`at`, or the end of the quiet hours it falls in."""
        zone = ZoneInfo(tz)
        local = at.astimezone(zone)
        if not self.holds(local.time()):
            return at
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, zone)
