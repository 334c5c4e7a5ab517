"""Callback requests: numbers the desk should call back. One open request per number; a
repeat call from it while the request is open adds to its count (an atomic upsert on the
open number, so parallel calls still make one request)."""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidTransition
from core.models import CallbackRequest
from core.vocab import CallbackReason, CallbackStatus

MAX_LISTED = 500


class CallbackService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def request(
        self,
        phone: str,
        reason: CallbackReason,
        *,
        call_sid: str,
        language: str,
        patient_id: int | None = None,
        branch_id: int | None = None,
    ) -> CallbackRequest:
        """Open a request for `phone`, or count this call on the one still open.

        The call that asked last asking again (a retried webhook, a key press and
        then a hang-up in the queue) is not counted twice.
        """
        now = self.clock.now()

        async def work(session: AsyncSession) -> CallbackRequest:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(CallbackRequest).values(
                phone=phone,
                open_phone=phone,
                reason=reason,
                language=language,
                patient_id=patient_id,
                branch_id=branch_id,
                call_sid=call_sid,
                calls=1,
                status=CallbackStatus.OPEN,
                created_at=now,
                updated_at=now,
            )
            repeat = col(CallbackRequest.call_sid) != stmt.excluded.call_sid
            stmt = stmt.on_conflict_do_update(
                index_elements=["open_phone"],
                set_={
                    "calls": case(
                        (repeat, col(CallbackRequest.calls) + 1), else_=col(CallbackRequest.calls)
                    ),
                    "call_sid": stmt.excluded.call_sid,
                    "updated_at": stmt.excluded.updated_at,
                    "patient_id": case(
                        (col(CallbackRequest.patient_id).is_(None), stmt.excluded.patient_id),
                        else_=col(CallbackRequest.patient_id),
                    ),
                },
            ).returning(col(CallbackRequest.id))
            request_id = (await session.execute(stmt)).scalar_one()
            return await session.get_one(CallbackRequest, request_id, populate_existing=True)

        return await self.db.write(work)

    async def open_requests(self, limit: int = MAX_LISTED) -> list[CallbackRequest]:
        """The open requests, oldest first: the order the desk should call back in."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(CallbackRequest)
                .where(col(CallbackRequest.status) == CallbackStatus.OPEN)
                .order_by(col(CallbackRequest.created_at), col(CallbackRequest.id))
                .limit(limit)
            )
            return list(rows.scalars())

    async def close(self, request_id: int, staff_login: str) -> None:
        """The desk called back; the number may open a new request from now on."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            closed = await session.execute(
                update(CallbackRequest)
                .where(
                    col(CallbackRequest.id) == request_id,
                    col(CallbackRequest.status) == CallbackStatus.OPEN,
                )
                .values(
                    status=CallbackStatus.DONE,
                    open_phone=None,
                    closed_at=now,
                    closed_by=staff_login,
                    updated_at=now,
                )
                .returning(col(CallbackRequest.id))
            )
            if closed.first() is None:
                raise InvalidTransition("no such open callback request")

        await self.db.write(work)
