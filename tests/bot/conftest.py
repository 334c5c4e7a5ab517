"""What the messenger face's tests share: a small clinic to talk about."""

from __future__ import annotations

import pytest

from core.clock import FrozenClock
from core.db.database import Database
from testkit.factories import small_clinic


@pytest.fixture
async def clinic_db(db: Database, clock: FrozenClock) -> Database:
    """A small clinic, so the dialog has something to talk about."""
    await small_clinic(db, clock, days=2)
    return db
