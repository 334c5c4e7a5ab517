"""Work phone calls leave for the desk (callback requests, staff tasks), as the desk works
it: listed in a member's scope, the longest waiting first; taken by one member only (a
conditional UPDATE, so two members taking it at once cannot both have it); finished by
whoever took it, or by an admin.

A refusal says why: not found (or out of scope), already done (reason "done"), or
taken by someone else (reason "taken").
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.desk.lists import Found, read_page
from core.desk.scope import StaffScope
from core.errors import InvalidTransition, NotFound
from core.models import CallbackRequest, StaffTask
from core.models.calls import NOTE_CHARS
from core.vocab import StaffRole

W = TypeVar("W", CallbackRequest, StaffTask)
OPEN, DONE = "open", "done"  # both kinds' statuses (CallbackStatus, TaskStatus)


def may_finish(scope: StaffScope, taken_by: str | None) -> bool:
    """Whether the member may finish an item `taken_by` someone (or nobody): its taker,
    anyone while nobody took it, an admin always."""
    return scope.role is StaffRole.ADMIN or taken_by in (None, scope.login)


class DeskWork(Generic[W]):
    def __init__(self, db: Database, clock: Clock, model: type[W], noun: str) -> None:
        self.db = db
        self.clock = clock
        self.model: type[W] = model
        self.noun = noun  # for messages: "callback request", "task"

    async def page(
        self,
        scope: StaffScope,
        *where: ColumnElement[bool],
        limit: int,
        offset: int,
        due: Any = None,
    ) -> Found[W]:
        """The items in scope that match `where`, the longest waiting first (by `due`, a
        column or expression, when given; else by when they came)."""
        m = self.model
        statement = (
            select(m)
            .where(scope.desk_rows(m.branch_id), *where)
            .order_by(col(m.created_at) if due is None else due, col(m.id))
        )
        return await read_page(self.db, statement, limit, offset)

    async def take(self, scope: StaffScope, item_id: int) -> W:
        """The member takes the item; taking it again is a no-op, someone else's is refused."""
        m = self.model
        now = self.clock.now()

        async def work(session: AsyncSession) -> W:
            taken = await session.execute(
                update(m)
                .where(self._open_in(scope, item_id), col(m.taken_by).is_(None))
                .values(taken_by=scope.login, taken_at=now)
                .returning(col(m.id))
            )
            if taken.first() is None:
                current = await self._refusal(session, scope, item_id)
                if current.taken_by != scope.login:
                    raise InvalidTransition(f"the {self.noun} is taken", reason="taken")
            return await session.get_one(m, item_id, populate_existing=True)

        return await self.db.write(work)

    async def finish(self, scope: StaffScope, item_id: int, note: str, **values: Any) -> W:
        """Mark the item done with a note (clipped) and `values` (an outcome): by its
        taker, by anyone when nobody took it, by an admin always."""
        m = self.model

        async def work(session: AsyncSession) -> W:
            done = await session.execute(
                update(m)
                .where(self._open_in(scope, item_id), self._mine(scope))
                .values(
                    status=DONE,
                    closed_at=self.clock.now(),
                    closed_by=scope.login,
                    note=note.strip()[:NOTE_CHARS] or None,
                    **values,
                )
                .returning(col(m.id))
            )
            if done.first() is None:
                await self._refusal(session, scope, item_id)
                raise InvalidTransition(f"the {self.noun} is taken", reason="taken")
            return await session.get_one(m, item_id, populate_existing=True)

        return await self.db.write(work)

    async def put_back(
        self,
        scope: StaffScope,
        item_id: int,
        note: str,
        *,
        only_if: ColumnElement[bool],
        **values: Any,
    ) -> W | None:
        """Return the item to the queue, taken by nobody, with a note and `values` (a later
        time, a count), when `only_if` holds of it; None when it does not (the caller
        then finishes it). Refused as `finish` is: not in scope, done, someone else's."""
        m = self.model

        async def work(session: AsyncSession) -> W | None:
            back = await session.execute(
                update(m)
                .where(self._open_in(scope, item_id), self._mine(scope), only_if)
                .values(
                    taken_by=None,
                    taken_at=None,
                    note=note.strip()[:NOTE_CHARS] or col(m.note),  # else the last note stays
                    **values,
                )
                .returning(col(m.id))
            )
            if back.first() is not None:
                return await session.get_one(m, item_id, populate_existing=True)
            current = await self._refusal(session, scope, item_id)
            if not may_finish(scope, current.taken_by):
                raise InvalidTransition(f"the {self.noun} is taken", reason="taken")
            return None

        return await self.db.write(work)

    def _mine(self, scope: StaffScope) -> ColumnElement[bool]:
        """The rule of `may_finish`, in SQL."""
        m = self.model
        if scope.role is StaffRole.ADMIN:
            return true()
        return or_(col(m.taken_by).is_(None), col(m.taken_by) == scope.login)

    def _open_in(self, scope: StaffScope, item_id: int) -> ColumnElement[bool]:
        m = self.model
        return (col(m.id) == item_id) & (col(m.status) == OPEN) & scope.desk_rows(m.branch_id)

    async def _refusal(self, session: AsyncSession, scope: StaffScope, item_id: int) -> W:
        """The item a conditional update missed, if it is in scope and still open."""
        m = self.model
        current: W | None = (
            await session.execute(
                select(m).where(col(m.id) == item_id, scope.desk_rows(m.branch_id))
            )
        ).scalar_one_or_none()
        if current is None:
            raise NotFound(f"no such {self.noun}")
        if current.status == DONE:
            raise InvalidTransition(f"the {self.noun} is done", reason="done")
        return current
