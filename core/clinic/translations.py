"""Staff editing the catalog's translations: a service's, a specialty's or a branch's names
in uk, ru, en (and pl, the fallback kept in `name`), a doctor's title likewise (`titles`,
the fallback `title`), checked as on creation (`checked_names`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.clinic.names import checked_names
from core.db.database import Database
from core.errors import NotFound
from core.models import Branch, Doctor, Service, Specialty

R = TypeVar("R", Service, Specialty, Branch)


class CatalogNames:
    """Replaces the translations of one catalog row; the Polish `name` stays as it is."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_service_names(self, service_id: int, names: Mapping[str, str]) -> Service:
        return await self._set(Service, service_id, names, "service")

    async def set_specialty_names(self, specialty_id: int, names: Mapping[str, str]) -> Specialty:
        return await self._set(Specialty, specialty_id, names, "specialty")

    async def set_branch_names(self, branch_id: int, names: Mapping[str, str]) -> Branch:
        return await self._set(Branch, branch_id, names, "branch")

    async def set_doctor_titles(self, doctor_id: int, titles: Mapping[str, str]) -> Doctor:
        checked = checked_names(titles)

        async def work(session: AsyncSession) -> Doctor:
            doctor = await session.get(Doctor, doctor_id)
            if doctor is None:
                raise NotFound("no such doctor")
            doctor.titles = checked
            session.add(doctor)
            await session.flush()
            return doctor

        return await self.db.write(work)

    async def _set(self, model: type[R], row_id: int, names: Mapping[str, str], what: str) -> R:
        checked = checked_names(names)

        async def work(session: AsyncSession) -> R:
            row = await session.get(model, row_id)
            if row is None:
                raise NotFound(f"no such {what}")
            row.names = checked
            session.add(row)
            await session.flush()
            return row

        return await self.db.write(work)
