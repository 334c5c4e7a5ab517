"""The catalog reads every call repeats (clinic, branches, specialties, doctors, services),
kept for a minute: they change rarely, and a caller's step should cost its own reads only.
A change made by the desk reaches new prompts within `ttl` seconds."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from core.clinic.catalog import Catalog
from core.db.database import Database
from core.errors import NotFound
from core.models import Branch, Clinic, Doctor, Service, Specialty

T = TypeVar("T")
TTL_SECONDS = 60.0


class CachedCatalog(Catalog):
    def __init__(
        self,
        db: Database,
        *,
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(db)
        self.ttl = ttl
        self.monotonic = monotonic
        self._kept: dict[Any, tuple[float, Any]] = {}

    async def _cached(self, key: Any, load: Callable[[], Awaitable[T]]) -> T:
        now = self.monotonic()
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.ttl:
            value: T = kept[1]
            return value
        value = await load()
        self._kept[key] = (now, value)
        return value

    async def clinic(self) -> Clinic | None:
        return await self._cached("clinic", super().clinic)

    async def branches(self) -> list[Branch]:
        return await self._cached("branches", super().branches)

    async def branch(self, branch_id: int) -> Branch:
        for branch in await self.branches():
            if branch.id == branch_id:
                return branch
        raise NotFound("no such branch")

    async def specialties(self) -> list[Specialty]:
        return await self._cached("specialties", super().specialties)

    async def doctors(self) -> list[Doctor]:
        return await self._cached("doctors", super().doctors)

    async def services(self) -> list[Service]:
        return await self._cached("services", super().services)

    async def service(self, service_id: int) -> Service:
        for service in await self.services():
            if service.id == service_id:
                return service
        raise NotFound("no such service")

    async def services_of(self, doctor_id: int) -> list[Service]:
        return await self._cached(
            ("services_of", doctor_id), lambda: super(CachedCatalog, self).services_of(doctor_id)
        )
