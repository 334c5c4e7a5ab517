"""Staff tasks: what a caller left for the clinic's staff (a prescription to renew, a card
to complete after booking with a spoken name), kept by the branch called. The desk lists
them in its scope, oldest first, takes one and closes it with a note (`core.desk.work`).
A doctor sees none: a task does not say which doctor it is for."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.desk.lists import Found
from core.desk.scope import StaffScope
from core.desk.work import DeskWork
from core.models import StaffTask
from core.vocab import TaskKind, TaskStatus

MAX_LISTED = 500
MAX_DETAIL = 1000


class TaskService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._work = DeskWork(db, clock, StaffTask, "task")

    async def create(
        self,
        kind: TaskKind,
        *,
        language: str,
        details: dict[str, Any],
        patient_id: int | None = None,
        branch_id: int | None = None,
        phone: str | None = None,
        call_sid: str | None = None,
    ) -> StaffTask:
        clipped = {k: v[:MAX_DETAIL] if isinstance(v, str) else v for k, v in details.items()}

        async def work(session: AsyncSession) -> StaffTask:
            task = StaffTask(
                kind=kind,
                patient_id=patient_id,
                branch_id=branch_id,
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

    async def listed(
        self,
        scope: StaffScope,
        *,
        kinds: frozenset[TaskKind] | None = None,
        statuses: frozenset[TaskStatus] = frozenset({TaskStatus.OPEN}),
        limit: int = MAX_LISTED,
        offset: int = 0,
    ) -> Found[StaffTask]:
        where = [col(StaffTask.status).in_(sorted(statuses))]
        if kinds is not None:
            where.append(col(StaffTask.kind).in_(sorted(kinds)))
        return await self._work.page(scope, *where, limit=limit, offset=offset)

    async def take(self, scope: StaffScope, task_id: int) -> StaffTask:
        return await self._work.take(scope, task_id)

    async def close(self, scope: StaffScope, task_id: int, note: str = "") -> StaffTask:
        return await self._work.finish(scope, task_id, note)
