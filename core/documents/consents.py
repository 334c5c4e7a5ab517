"""The consent register (seed 003's "rejestr zgód"): a patient lets a family member or a
doctor outside the clinic see their documents for a window, from the chat or on paper at
the desk (then the register names who recorded it). A consent is in force only inside its
window and until revoked; every opening checks it at that moment (`in_force`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.models import DocumentGrant, Patient
from core.patients.identity import normalize_phone
from core.vocab import GranteeKind, GrantSource

LONGEST_WINDOW = timedelta(days=366)
MAX_NAME_CHARS = 100


def in_force(now: datetime) -> ColumnElement[bool]:
    """The consents that allow an opening at `now`."""
    return and_(
        col(DocumentGrant.revoked_at).is_(None),
        col(DocumentGrant.valid_from) <= now,
        col(DocumentGrant.valid_until) > now,
    )


class ConsentRegister:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def grant(
        self,
        patient_id: int,
        kind: GranteeKind,
        phone: str,
        valid_from: datetime,
        valid_until: datetime,
        *,
        source: GrantSource,
        name: str | None = None,
        recorded_by: str | None = None,
    ) -> DocumentGrant:
        """A new consent; `PhoneInvalid` for a phone that does not read, `InvalidInput`
        for a window that is empty, over a year, already over, or a paper consent
        nobody recorded."""
        number = normalize_phone(phone)
        name = (name or "").strip() or None
        if name is not None and (
            len(name) > MAX_NAME_CHARS or any(not ch.isprintable() for ch in name)
        ):
            raise InvalidInput("a name has at most 100 printable characters", field="name")
        now = self.clock.now()
        if valid_until <= valid_from or valid_until <= now:
            raise InvalidInput("the window must end after it starts and after now", field="window")
        if valid_until - valid_from > LONGEST_WINDOW:
            raise InvalidInput("a consent lasts at most a year", field="window")
        if source is GrantSource.PAPER and not recorded_by:
            raise InvalidInput("a paper consent names who recorded it")
        grant = DocumentGrant(
            patient_id=patient_id,
            grantee_kind=kind,
            phone=number,
            grantee_name=name,
            valid_from=valid_from,
            valid_until=valid_until,
            source=source,
            recorded_by=recorded_by,
            created_at=now,
        )

        async def work(session: AsyncSession) -> DocumentGrant:
            if await session.get(Patient, patient_id) is None:
                raise NotFound("no such patient")
            session.add(grant)
            await session.flush()
            return grant

        return await self.db.write(work)

    async def revoke(self, patient_id: int, grant_id: int, by: str) -> None:
        """End a consent now: the next opening on it is refused. Another patient's is
        not found."""

        async def work(session: AsyncSession) -> None:
            done = await session.execute(
                update(DocumentGrant)
                .where(
                    col(DocumentGrant.id) == grant_id,
                    col(DocumentGrant.patient_id) == patient_id,
                    col(DocumentGrant.revoked_at).is_(None),
                )
                .values(revoked_at=self.clock.now(), revoked_by=by)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("no such consent")

        await self.db.write(work)

    async def of_patient(
        self, patient_id: int, *, current_only: bool = False
    ) -> list[DocumentGrant]:
        """A patient's consents, newest first; `current_only`: in force or still to come."""
        statement = select(DocumentGrant).where(col(DocumentGrant.patient_id) == patient_id)
        if current_only:
            statement = statement.where(
                col(DocumentGrant.revoked_at).is_(None),
                col(DocumentGrant.valid_until) > self.clock.now(),
            )
        async with self.db.read() as session:
            rows = await session.execute(statement.order_by(col(DocumentGrant.id).desc()))
            return list(rows.scalars())

    async def to_phones(self, phones: list[str]) -> list[DocumentGrant]:
        """The consents in force given to any of these numbers (a grantee's own chat)."""
        if not phones:
            return []
        async with self.db.read() as session:
            rows = await session.execute(
                select(DocumentGrant)
                .where(col(DocumentGrant.phone).in_(phones), in_force(self.clock.now()))
                .order_by(col(DocumentGrant.id))
            )
            return list(rows.scalars())
