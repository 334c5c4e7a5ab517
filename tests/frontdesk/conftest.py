"""Fixtures of the web app's tests: the small clinic seeded in the test's database (SQLite
and PostgreSQL)."""

from __future__ import annotations

import pytest

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.demo.seed import seed_demo


@pytest.fixture
async def seeded(db: Database, clock: FrozenClock) -> Database:
    """The demo clinic with one week of slots (enough for the pages, quick to build)."""
    assert await seed_demo(db, clock, weeks=1)
    return db
