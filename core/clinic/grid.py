"""The clinic's 5-minute grid: every slot, visit and template time falls on it.

Occupancy cells (`core.schedule.occupancy`) are one grid step long, so a length
or a time off the grid could not be claimed cell by cell; it is refused here,
where the clinic is set up, before it reaches a schedule.
"""

from __future__ import annotations

from datetime import timedelta

from core.errors import InvalidInput, ScheduleInvalid
from core.models import ScheduleTemplate

GRID = timedelta(minutes=5)
GRID_MINUTES = 5


def check_on_grid(minutes: int, what: str) -> None:
    if minutes <= 0 or minutes % GRID_MINUTES:
        raise InvalidInput(f"{what} must be a positive multiple of {GRID_MINUTES} minutes")


def check_template(template: ScheduleTemplate) -> None:
    if not 0 <= template.weekday <= 6:
        raise ScheduleInvalid("weekday runs from 0 (Monday) to 6 (Sunday)")
    check_on_grid(template.slot_minutes, "slot length")
    if template.slot_minutes > 24 * 60:
        raise ScheduleInvalid("a slot lasts a day at most")
    for at in (template.start_time, template.end_time):
        if at.minute % GRID_MINUTES or at.second:
            raise ScheduleInvalid("template times must fall on the 5-minute grid")
    if template.start_time >= template.end_time:
        raise ScheduleInvalid("a template must end after it starts")
