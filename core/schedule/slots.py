"""Slot arithmetic: the 5-minute grid of occupancy cells and runs of slots that cover a visit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from core.clinic.grid import GRID, GRID_MINUTES
from core.errors import InvalidInput


class SlotLike(Protocol):
    @property
    def start_at(self) -> datetime: ...
    @property
    def end_at(self) -> datetime: ...
    @property
    def availability(self) -> int: ...
    @property
    def branch_id(self) -> int: ...


def cells(start: datetime, end: datetime) -> list[datetime]:
    """The grid cells a period occupies; periods start and end on the grid."""
    if start.minute % GRID_MINUTES or start.second or start.microsecond:
        raise InvalidInput("times must fall on the 5-minute grid")
    out = []
    at = start
    while at < end:
        out.append(at)
        at += GRID
    return out


S = TypeVar("S", bound=SlotLike)


def covering_run(
    slots: Iterable[S], start: datetime, end: datetime, required_bits: int
) -> list[S] | None:
    """The slots that cover [start, end) without a gap, from a slot starting at `start`.

    All must be visible to the asking channel (`required_bits`, 0 for the desk) and
    lie in one branch; None when they do not.
    """
    run: list[S] = []
    cursor = start
    for slot in sorted(slots, key=lambda s: s.start_at):
        if slot.end_at <= cursor:
            continue
        if slot.start_at != cursor:  # the visit starts mid-slot, or a gap follows
            return None
        if required_bits and not slot.availability & required_bits:
            return None
        if run and slot.branch_id != run[0].branch_id:
            return None
        run.append(slot)
        cursor = slot.end_at
        if cursor >= end:
            return run
    return None
