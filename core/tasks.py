"""Staff tasks: what a caller left for the clinic's staff (a prescription to renew, a card
to complete after booking with a spoken name), listed oldest first and closed by a login."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidTransition
from core.models import StaffTask
from core.vocab import TaskKind, TaskStatus

MAX_LISTED = 500
MAX_DETAIL = 1000


class TaskService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(
        self,
        kind: TaskKind,
        *,
        language: str,
        details: dict[str, Any],
        patient_id: int | None = None,
        phone: str | None = None,
        call_sid: str | None = None,
    ) -> StaffTask:
        clipped = {k: v[:MAX_DETAIL] if isinstance(v, str) else v for k, v in details.items()}

        async def work(session: AsyncSession) -> StaffTask:
            task = StaffTask(
                kind=kind,
                patient_id=patient_id,
                phone=phone,
                call_sid=call_sid,
                language=language,
                details=clipped,
                created_at=self.clock.now(),
            )
            session.add(task)
            await session.flush()
            return task

        return await self.db.write(work)

    async def open_tasks(
        self, kind: TaskKind | None = None, limit: int = MAX_LISTED
    ) -> list[StaffTask]:
        async with self.db.read() as session:
            stmt = select(StaffTask).where(col(StaffTask.status) == TaskStatus.OPEN)
            if kind is not None:
                stmt = stmt.where(col(StaffTask.kind) == kind)
            rows = await session.execute(
                stmt.order_by(col(StaffTask.created_at), col(StaffTask.id)).limit(limit)
            )
            return list(rows.scalars())

    async def close(self, task_id: int, staff_login: str) -> None:
        async def work(session: AsyncSession) -> None:
            closed = await session.execute(
                update(StaffTask)
                .where(col(StaffTask.id) == task_id, col(StaffTask.status) == TaskStatus.OPEN)
                .values(status=TaskStatus.DONE, closed_at=self.clock.now(), closed_by=staff_login)
                .returning(col(StaffTask.id))
            )
            if closed.first() is None:
                raise InvalidTransition("no such open task")

        await self.db.write(work)
