"""Our ids in a partner's terms: the mappings staff keep (`PartnerDesk`), read by the
planner (which doctors, services and patients a partner knows) and by delivery (the
operation in the partner's ids)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import PartnerMapping
from core.vocab import Channel, MappingKind


async def remote_ids(session: AsyncSession, partner: Channel, kind: MappingKind) -> dict[int, str]:
    """Our ids of one kind to the partner's."""
    rows = await session.execute(
        select(col(PartnerMapping.local_id), col(PartnerMapping.remote_id)).where(
            col(PartnerMapping.partner) == partner, col(PartnerMapping.kind) == kind
        )
    )
    return {local: remote for local, remote in rows.all()}  # noqa: C416


Mappings = dict[MappingKind, dict[int, str]]


async def all_mappings(session: AsyncSession, partner: Channel) -> Mappings:
    return {kind: await remote_ids(session, partner, kind) for kind in MappingKind}
