"""Read-only look-ups of the clinic's structure (branches, services, doctors) for the faces."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from core.clinic.names import doctor_name, local_name
from core.db.database import Database
from core.errors import NotFound
from core.models import Branch, Clinic, Doctor, DoctorService, Service, Specialty


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

    async def branch_names(self, language: str = "pl") -> dict[int, str]:
        """Branches' names in `language` (Polish the fallback), by id: what a page names
        a row's branch by."""
        return {b.id: local_name(b, language) for b in await self.branches() if b.id is not None}

    async def service_names(self, language: str = "pl") -> dict[int, str]:
        """The active services' names in `language` (Polish the fallback), by id."""
        return {s.id: local_name(s, language) for s in await self.services() if s.id is not None}

    async def doctor_names(self, language: str = "pl") -> dict[int, str]:
        """Doctors' names with their title in `language` (Polish the fallback)."""
        async with self.db.read() as session:
            rows = await session.execute(select(Doctor))
            return {d.id: doctor_name(d, language) for d in rows.scalars() if d.id is not None}

    async def clinic(self) -> Clinic | None:
        async with self.db.read() as session:
            return (
                (await session.execute(select(Clinic).order_by(col(Clinic.id)))).scalars().first()
            )

    async def specialties(self) -> list[Specialty]:
        """The specialties that have an active service, by name."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Specialty)
                .where(
                    col(Specialty.id).in_(
                        select(col(Service.specialty_id)).where(col(Service.active).is_(True))
                    )
                )
                .order_by(col(Specialty.name))
            )
            return list(rows.scalars())

    async def clinic_name(self) -> str:
        clinic = await self.clinic()
        return clinic.name if clinic else ""

    async def doctors(self) -> list[Doctor]:
        """Active doctors, by surname."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Doctor)
                .where(col(Doctor.active).is_(True))
                .order_by(col(Doctor.last_name), col(Doctor.first_name))
            )
            return list(rows.scalars())

    async def services_of(self, doctor_id: int) -> list[Service]:
        """The active services a doctor performs."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Service)
                .join(DoctorService, col(DoctorService.service_id) == col(Service.id))
                .where(col(DoctorService.doctor_id) == doctor_id, col(Service.active).is_(True))
                .order_by(col(Service.id))
            )
            return list(rows.scalars())

    async def service(self, service_id: int) -> Service:
        async with self.db.read() as session:
            service = await session.get(Service, service_id)
        if service is None or not service.active:
            raise NotFound("no such service")
        return service

    async def branch(self, branch_id: int) -> Branch:
        async with self.db.read() as session:
            branch = await session.get(Branch, branch_id)
        if branch is None:
            raise NotFound("no such branch")
        return branch
