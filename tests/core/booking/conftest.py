"""Fixtures of the booking's tests: a small clinic, an adult patient, and the booking service
over them (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from core.booking.service import BookingService
from testkit.factories import adult, small_clinic


@pytest.fixture
async def setup(db, clock):
    return await small_clinic(db, clock), await adult(db, clock), BookingService(db, clock)
