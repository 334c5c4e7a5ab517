"""Switching a clinic's one-visit-per-service guard, as the desk's settings would."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.database import Database
from core.models import Clinic


async def switch_guard(db: Database, on: bool = True) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(update(Clinic).values(one_booking_per_service=on))

    await db.write(work)
