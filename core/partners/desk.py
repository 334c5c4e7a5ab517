"""What staff manage of the partners: the mappings, and the operations a partner refused
(listed with the partner's words, retried or discarded). Each method is what one staff
endpoint calls; the checks live here so the endpoints only translate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Delete, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.journal import emit
from core.models import Branch, Doctor, PartnerMapping, PartnerOperation, Patient, Service
from core.vocab import Channel, EventKind, MappingKind, PartnerOpKind, PartnerOpStatus

PARTNERS = (Channel.ZNANYLEKARZ, Channel.LUXMED, Channel.ONDOC, Channel.CER)


@dataclass(frozen=True)
class Failure:
    """An operation the partner refused: what, about which booking, and why."""

    id: int
    kind: PartnerOpKind
    subject: str
    booking_id: int | None
    error: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Unmapped:
    kind: MappingKind
    local_id: int
    name: str


def _partner(name: str) -> Channel:
    """A partner from a URL's name, or `NotFound` (`znanylekarz`, `luxmed`, `ondoc`)."""
    try:
        channel = Channel(name)
    except ValueError:
        raise NotFound("no such partner") from None
    if channel not in PARTNERS:
        raise NotFound("no such partner")
    return channel


class PartnerDesk:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- failures ----------------------------------------------------------------

    async def failures(self, partner: str, *, limit: int = 100, offset: int = 0) -> list[Failure]:
        channel = _partner(partner)
        async with self.db.read() as session:
            rows = await session.execute(
                select(PartnerOperation)
                .where(
                    col(PartnerOperation.partner) == channel,
                    col(PartnerOperation.status) == PartnerOpStatus.FAILED,
                )
                .order_by(col(PartnerOperation.id))
                .limit(limit)
                .offset(offset)
            )
            return [
                Failure(
                    id=op.id,
                    kind=op.kind,
                    subject=op.subject,
                    booking_id=op.booking_id,
                    error=op.error or "",
                    attempts=op.attempts,
                    created_at=op.created_at,
                )
                for op in rows.scalars()
                if op.id is not None
            ]

    async def retry(self, partner: str, operation_id: int) -> None:
        """Send a refused operation again, now (after fixing a mapping, say)."""
        await self._settle(
            partner,
            operation_id,
            status=PartnerOpStatus.PENDING,
            next_attempt_at=self.clock.now(),
            claimed_by=None,
        )

    async def discard(self, partner: str, operation_id: int) -> None:
        """Give a refused operation up; the ones after it for the same visit go on."""
        await self._settle(
            partner, operation_id, status=PartnerOpStatus.DISCARDED, done_at=self.clock.now()
        )

    async def _settle(self, partner: str, operation_id: int, **values: object) -> None:
        channel = _partner(partner)

        async def work(session: AsyncSession) -> None:
            changed = await session.execute(
                update(PartnerOperation)
                .where(
                    col(PartnerOperation.id) == operation_id,
                    col(PartnerOperation.partner) == channel,
                    col(PartnerOperation.status) == PartnerOpStatus.FAILED,
                )
                .values(**values)
                .returning(col(PartnerOperation.id))
            )
            if changed.first() is None:
                raise NotFound("no such failed operation")

        await self.db.write(work)

    # -- mappings ----------------------------------------------------------------

    async def mappings(self, partner: str) -> list[PartnerMapping]:
        channel = _partner(partner)
        async with self.db.read() as session:
            rows = await session.execute(
                select(PartnerMapping)
                .where(col(PartnerMapping.partner) == channel)
                .order_by(col(PartnerMapping.kind), col(PartnerMapping.local_id))
            )
            return list(rows.scalars())

    async def map(self, partner: str, kind: MappingKind, local_id: int, remote_id: str) -> None:
        """Map one of ours to the partner's id, replacing its earlier mapping; the sync
        then publishes what it opens there and sends the visits it concerns (an outbox
        event, `core.partners.plan`)."""
        channel = _partner(partner)
        remote_id = remote_id.strip()
        if not remote_id or len(remote_id) > 200:
            raise InvalidInput("the partner's id is empty or too long", field="remote_id")

        async def work(session: AsyncSession) -> None:
            if not await _exists(session, kind, local_id):
                raise NotFound(f"no such {kind}")
            await session.execute(_mapping(channel, kind, local_id))
            try:
                async with session.begin_nested():
                    session.add(
                        PartnerMapping(
                            partner=channel, kind=kind, local_id=local_id, remote_id=remote_id
                        )
                    )
            except IntegrityError:
                raise InvalidInput(
                    "this partner id is mapped to another of ours", field="remote_id"
                ) from None
            emit(
                session,
                EventKind.PARTNER_MAPPED,
                at=self.clock.now(),
                partner=channel,
                mapping=kind,
                local_id=local_id,
            )

        await self.db.write(work)

    async def unmap(self, partner: str, kind: MappingKind, local_id: int) -> None:
        channel = _partner(partner)

        async def work(session: AsyncSession) -> None:
            await session.execute(_mapping(channel, kind, local_id))

        await self.db.write(work)

    async def unmapped(self, partner: str) -> Sequence[Unmapped]:
        """Active doctors and services the partner does not know: reported, not skipped."""
        channel = _partner(partner)
        async with self.db.read() as session:
            found: list[Unmapped] = []
            for kind in (MappingKind.DOCTOR, MappingKind.SERVICE):
                mapped = select(col(PartnerMapping.local_id)).where(
                    col(PartnerMapping.partner) == channel, col(PartnerMapping.kind) == kind
                )
                if kind is MappingKind.DOCTOR:
                    doctors = await session.execute(
                        select(Doctor).where(col(Doctor.active), col(Doctor.id).not_in(mapped))
                    )
                    found += [Unmapped(kind, d.id or 0, d.display_name) for d in doctors.scalars()]
                else:
                    query = select(Service).where(
                        col(Service.active), col(Service.id).not_in(mapped)
                    )
                    if channel is Channel.CER:  # only the NFZ-contracted services are its
                        query = query.where(col(Service.nfz_contracted))
                    services = await session.execute(query)
                    found += [Unmapped(kind, s.id or 0, s.name) for s in services.scalars()]
            return found


def _mapping(partner: Channel, kind: MappingKind, local_id: int) -> Delete:
    return delete(PartnerMapping).where(
        col(PartnerMapping.partner) == partner,
        col(PartnerMapping.kind) == kind,
        col(PartnerMapping.local_id) == local_id,
    )


async def _exists(session: AsyncSession, kind: MappingKind, local_id: int) -> bool:
    if kind is MappingKind.DOCTOR:
        return await session.get(Doctor, local_id) is not None
    if kind is MappingKind.SERVICE:
        return await session.get(Service, local_id) is not None
    if kind is MappingKind.PATIENT:
        return await session.get(Patient, local_id) is not None
    return await session.get(Branch, local_id) is not None
