"""The fake Docplanner's calendars: the work periods an integration publishes with
`PUT .../slots` (each offering address services of a duration), the slots the platform cuts
from them, and which of those a booking may take."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Docplanner reads every time in the locale's zone (znanylekarz.pl: Warsaw).
WARSAW = ZoneInfo("Europe/Warsaw")


def local(moment: datetime) -> datetime:
    return moment.astimezone(WARSAW)


def wire(moment: datetime) -> str:
    """A time as Docplanner writes it: ISO 8601 with the locale's offset."""
    return local(moment).isoformat(timespec="seconds")


@dataclass
class Calendar:
    """One address's published work periods, per local day, as (start, end) pairs, and the
    address services (id → duration in minutes) each period offers."""

    days: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    offers: dict[datetime, dict[str, int]] = field(default_factory=dict)

    def replace(self, start: datetime, end: datetime, services: dict[str, int]) -> None:
        """What one entry of `PUT .../slots` does: the range [start, end) loses what it
        held; with services it becomes one work period offering them."""
        day = local(start).date()
        kept: list[tuple[datetime, datetime]] = []
        for p_start, p_end in self.days.get(day, []):
            offered = self.offers.pop(p_start)
            if p_end <= start or end <= p_start:
                kept.append((p_start, p_end))
                self.offers[p_start] = offered
                continue
            for piece in ((p_start, min(p_end, start)), (max(p_start, end), p_end)):
                if piece[0] < piece[1]:
                    kept.append(piece)
                    self.offers[piece[0]] = offered
        if services:
            kept.append((local(start), local(end)))
            self.offers[local(start)] = dict(services)
        if kept:
            self.days[day] = sorted(kept)
        else:
            self.days.pop(day, None)

    def clear(self, day: date) -> None:
        for p_start, _ in self.days.pop(day, []):
            self.offers.pop(p_start, None)

    def periods(self) -> Iterator[tuple[datetime, datetime, dict[str, int]]]:
        for day in sorted(self.days):
            for p_start, p_end in self.days[day]:
                yield p_start, p_end, self.offers[p_start]

    def slots(
        self, start: datetime, end: datetime, taken: Iterable[tuple[datetime, datetime]]
    ) -> Iterator[tuple[datetime, dict[str, int]]]:
        """The free slots starting in [start, end): each period cut by its shortest
        service, a slot free when no booking overlaps it; with the services that fit."""
        busy = list(taken)
        for p_start, p_end, offered in self.periods():
            step = timedelta(minutes=min(offered.values()))
            at = p_start
            while at + step <= p_end:
                fitting = {
                    s: d
                    for s, d in offered.items()
                    if at + timedelta(minutes=d) <= p_end
                    and not _overlaps(at, at + timedelta(minutes=d), busy)
                }
                if start <= at < end and fitting:
                    yield at, fitting
                at += step

    def offering(self, at: datetime) -> dict[str, int] | None:
        """The services of the slot starting at `at` (on a period's grid), if one does."""
        for p_start, p_end, offered in self.periods():
            step = timedelta(minutes=min(offered.values()))
            if p_start <= at < p_end and (at - p_start) % step == timedelta(0):
                return offered
        return None

    def covers(self, start: datetime, end: datetime) -> bool:
        return any(p_start <= start and end <= p_end for p_start, p_end, _ in self.periods())


def _overlaps(start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)
