"""Read-only look-ups of the clinic's structure (branches, services, doctors) for the faces."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.errors import NotFound
from core.models import Branch, Doctor, Service


class Catalog:
    """What a patient may browse before booking: branches, active services, doctors' names."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def branches(self) -> list[Branch]:
        async with self.db.read() as session:
            rows = await session.execute(select(Branch).order_by(col(Branch.id)))
            return list(rows.scalars())

    async def services(self) -> list[Service]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(Service).where(col(Service.active).is_(True)).order_by(col(Service.id))
            )
            return list(rows.scalars())

    async def service_by_code(self, code: str) -> Service:
        async with self.db.read() as session:
            row = await session.execute(
                select(Service).where(col(Service.code) == code, col(Service.active).is_(True))
            )
            service = row.scalar_one_or_none()
        if service is None:
            raise NotFound("no such service", field="service")
        return service

    async def doctor_names(self) -> dict[int, str]:
        async with self.db.read() as session:
            rows = await session.execute(select(Doctor))
            return {d.id: d.display_name for d in rows.scalars() if d.id is not None}
