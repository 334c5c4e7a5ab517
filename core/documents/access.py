"""The access log: every opening of a document, by whom, when, through which channel and
on which consent. Rows are only ever inserted here; the database refuses any UPDATE or
DELETE (triggers of migration 0011), so no one edits the log, not even the application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.database import Database
from core.models import DocumentAccess
from core.vocab import Channel, OpenerKind


def record(
    session: AsyncSession,
    *,
    patient_id: int,
    document_id: int,
    opener: OpenerKind,
    opened_by: str,
    channel: Channel,
    at: datetime,
    grant_id: int | None = None,
) -> None:
    """Add one opening to the log, in the transaction that hands the document over."""
    session.add(
        DocumentAccess(
            patient_id=patient_id,
            document_id=document_id,
            opener=opener,
            opened_by=opened_by,
            grant_id=grant_id,
            channel=channel,
            opened_at=at,
        )
    )


async def log_of(db: Database, patient_id: int) -> list[DocumentAccess]:
    """A patient's openings, newest first."""
    async with db.read() as session:
        rows = await session.execute(
            select(DocumentAccess)
            .where(col(DocumentAccess.patient_id) == patient_id)
            .order_by(col(DocumentAccess.opened_at).desc(), col(DocumentAccess.id).desc())
        )
        return list(rows.scalars())
