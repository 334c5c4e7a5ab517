"""Callback requests: numbers the desk should call back. One open request per number; a
repeat call from it while the request is open adds to its count (an atomic upsert on the
open number, so parallel calls still make one request). The desk lists them in its
scope, the longest waiting first, takes one and marks it done with what calling back
gave (`core.desk.work`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.db.types import UTCDateTime
from core.desk.lists import Found
from core.desk.scope import StaffScope
from core.desk.work import DeskWork
from core.models import CallbackRequest
from core.vocab import CallbackOutcome, CallbackReason, CallbackStatus

MAX_LISTED = 500
# A call back that finds nobody puts the request back, to be tried again this much later
# (one delay per attempt so far); after the last, it is done with "no answer".
RETRY_DELAYS = (timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


class CallbackService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._work = DeskWork(db, clock, CallbackRequest, "callback request")

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

    async def queue(
        self,
        scope: StaffScope,
        *,
        statuses: frozenset[CallbackStatus] = frozenset({CallbackStatus.OPEN}),
        branch_ids: frozenset[int] | None = None,
        limit: int = MAX_LISTED,
        offset: int = 0,
    ) -> Found[CallbackRequest]:
        """The requests in the member's scope, the longest waiting first: the order the
        desk should call back in. One that found nobody waits from its retry time."""
        where = [col(CallbackRequest.status).in_(sorted(statuses))]
        if branch_ids is not None:
            where.append(col(CallbackRequest.branch_id).in_(sorted(branch_ids)))
        due = func.coalesce(col(CallbackRequest.retry_at), col(CallbackRequest.created_at))
        return await self._work.page(scope, *where, limit=limit, offset=offset, due=due)

    async def take(self, scope: StaffScope, request_id: int) -> CallbackRequest:
        """The member is calling the number back; nobody else can take the request now."""
        return await self._work.take(scope, request_id)

    async def done(
        self, scope: StaffScope, request_id: int, outcome: CallbackOutcome, note: str = ""
    ) -> CallbackRequest:
        """The desk called back; the number may open a new request from now on. "No
        answer" puts the request back with its attempt counted and a later retry time,
        until the last attempt (`MAX_ATTEMPTS`), which closes it."""
        now = self.clock.now()
        attempts = col(CallbackRequest.attempts)
        if outcome is CallbackOutcome.NO_ANSWER:
            delay = case(
                *(
                    (attempts == n, literal(now + d, UTCDateTime()))
                    for n, d in enumerate(RETRY_DELAYS)
                ),
                else_=literal(now + RETRY_DELAYS[-1], UTCDateTime()),
            )
            again = await self._work.put_back(
                scope,
                request_id,
                note,
                only_if=attempts < MAX_ATTEMPTS - 1,
                attempts=attempts + 1,
                retry_at=delay,
                outcome=outcome,
                updated_at=now,
            )
            if again is not None:
                return again
        return await self._work.finish(
            scope,
            request_id,
            note,
            outcome=outcome,
            open_phone=None,
            updated_at=now,
            attempts=attempts + 1 if outcome is CallbackOutcome.NO_ANSWER else attempts,
        )
