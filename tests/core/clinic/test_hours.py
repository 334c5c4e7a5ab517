"""Opening hours (core/clinic/hours.py) in the branch's time zone, and the next opening."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.clinic.hours import is_open, next_opening
from core.clock import FrozenClock
from core.db.database import Database
from testkit.factories import small_clinic


async def test_opening_hours_in_the_branch_time_zone(db: Database, clock: FrozenClock) -> None:
    clinic = await small_clinic(db, clock, days=1)
    branch = clinic.branch  # Mon-Fri 08:00-18:00, Europe/Warsaw
    assert is_open(branch, datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # 08:00 local
    assert not is_open(branch, datetime(2026, 12, 1, 6, 59, tzinfo=UTC))
    assert not is_open(branch, datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 18:00 local
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    opening = next_opening(branch, friday_night)
    assert opening is not None
    assert (opening.date(), opening.hour) == (date(2026, 12, 7), 8)  # Monday
