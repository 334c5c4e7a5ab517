"""Cards flagged for verification (an unknown caller's, a partner's patient's): the desk
checks them against the person and marks them verified, or merges them into the card the
patient already has.

A merge is one transaction: every row that points at the flagged card (visits, contacts,
chats, calls, callbacks, tasks, escalations, messages, waiting-list entries, partner
links, care links, booking links, documents and their consents and links) is pointed at
the kept card (the documents' access log, which no one edits, keeps the id it was written
with), each visit's history records the merge under the member's name, the kept card takes the
identity it lacked, and the flagged card is deleted. Two different PESELs mean two
people: refused, nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from core.actors import Actor
from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.journal import record_change
from core.models import (
    Booking,
    BookingLink,
    Call,
    CallbackRequest,
    Contact,
    Conversation,
    Document,
    DocumentGrant,
    DocumentLink,
    Escalation,
    Guardianship,
    LinkCode,
    Notification,
    PartnerMapping,
    Patient,
    StaffTask,
    WaitlistEntry,
)
from core.vocab import MappingKind

# Every table whose rows belong to a card through `patient_id`, moved as they are.
OWNED: tuple[type[SQLModel], ...] = (
    Booking,
    BookingLink,
    Call,
    CallbackRequest,
    StaffTask,
    Conversation,
    Escalation,
    Notification,
    WaitlistEntry,
    Document,
    DocumentGrant,
    DocumentLink,
)
# Those handled on their own: contacts (deduplicated), linking codes (dropped), care links.
HANDLED: tuple[type[SQLModel], ...] = (Contact, LinkCode, Guardianship)
MERGED = "patient merged"


@dataclass(frozen=True)
class MergeResult:
    kept_id: int
    visits_moved: int


class CardReview:
    """Verifying and merging flagged cards, as a staff member."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def verify(self, patient_id: int) -> Patient:
        """The desk checked the card against the person: no longer flagged."""

        async def work(session: AsyncSession) -> Patient:
            done = await session.execute(
                update(Patient)
                .where(col(Patient.id) == patient_id)
                .values(needs_verification=False)
                .returning(col(Patient.id))
            )
            if done.first() is None:
                raise NotFound("no such patient")
            return await session.get_one(Patient, patient_id, populate_existing=True)

        return await self.db.write(work)

    async def merge(self, actor: Actor, flagged_id: int, into_id: int) -> MergeResult:
        """Fold the flagged card into `into_id`; the flagged card is gone afterwards."""
        if flagged_id == into_id:
            raise InvalidInput("a card cannot be merged into itself", field="into")
        now = self.clock.now()

        async def work(session: AsyncSession) -> MergeResult:
            flagged, kept = await _lock_pair(session, flagged_id, into_id)
            if flagged.pesel and kept.pesel and flagged.pesel != kept.pesel:
                raise InvalidInput("the cards carry different PESEL numbers", field="into")
            visits = [
                int(booking_id)
                for booking_id in (
                    await session.execute(
                        select(col(Booking.id)).where(col(Booking.patient_id) == flagged_id)
                    )
                ).scalars()
                if booking_id is not None
            ]
            for booking_id in visits:
                record_change(
                    session,
                    booking_id=booking_id,
                    actor=actor,
                    action=MERGED,
                    at=now,
                    changes={"patient_id": (flagged_id, into_id)},
                )
            await _move_contacts(session, flagged_id, into_id)
            await _move_partner_links(session, flagged_id, into_id)
            await _move_care(session, flagged_id, into_id)
            for model in OWNED:
                table: Any = model
                await session.execute(
                    update(table)
                    .where(col(table.patient_id) == flagged_id)
                    .values(patient_id=into_id)
                )
            await session.execute(delete(LinkCode).where(col(LinkCode.patient_id) == flagged_id))
            taken = _identity_taken(flagged, kept)
            await session.execute(delete(Patient).where(col(Patient.id) == flagged_id))
            await session.flush()
            if taken:
                await session.execute(
                    update(Patient).where(col(Patient.id) == into_id).values(**taken)
                )
            return MergeResult(into_id, len(visits))

        return await self.db.write(work)


async def _lock_pair(
    session: AsyncSession, flagged_id: int, into_id: int
) -> tuple[Patient, Patient]:
    """Both cards, locked in id order (two merges of the same pair cannot deadlock)."""
    rows = (
        await session.execute(
            select(Patient)
            .where(col(Patient.id).in_([flagged_id, into_id]))
            .order_by(col(Patient.id))
            .with_for_update()
        )
    ).scalars()
    found = {p.id: p for p in rows}
    if flagged_id not in found or into_id not in found:
        raise NotFound("no such patient")
    return found[flagged_id], found[into_id]


async def _move_contacts(session: AsyncSession, flagged_id: int, into_id: int) -> None:
    """The flagged card's contacts go after the kept card's own (one value is on one card
    only, so none can collide)."""
    last = (
        await session.execute(
            select(col(Contact.priority))
            .where(col(Contact.patient_id) == into_id)
            .order_by(col(Contact.priority).desc())
            .limit(1)
        )
    ).scalar()
    shift = 0 if last is None else last + 1
    await session.execute(
        update(Contact)
        .where(col(Contact.patient_id) == flagged_id)
        .values(patient_id=into_id, priority=col(Contact.priority) + shift)
    )


async def _move_partner_links(session: AsyncSession, flagged_id: int, into_id: int) -> None:
    """A partner's patient account follows the card, unless the kept card is linked to
    another account of the same partner: two accounts are two people, refused."""
    links = (
        await session.execute(
            select(PartnerMapping).where(
                col(PartnerMapping.kind) == MappingKind.PATIENT,
                col(PartnerMapping.local_id).in_([flagged_id, into_id]),
            )
        )
    ).scalars()
    partners = [link.partner for link in links]
    if len(partners) != len(set(partners)):
        raise InvalidInput("both cards are linked to this partner", field="into")
    await session.execute(
        update(PartnerMapping)
        .where(
            col(PartnerMapping.kind) == MappingKind.PATIENT,
            col(PartnerMapping.local_id) == flagged_id,
        )
        .values(local_id=into_id)
    )


async def _move_care(session: AsyncSession, flagged_id: int, into_id: int) -> None:
    """The flagged card's care links follow it: those between the two cards, and those
    the kept card already has, are dropped (a card is not in its own care, nor twice)."""
    pair = (flagged_id, into_id)
    await session.execute(
        delete(Guardianship).where(
            col(Guardianship.guardian_id).in_(pair), col(Guardianship.dependent_id).in_(pair)
        )
    )
    for side, other in (
        (Guardianship.guardian_id, Guardianship.dependent_id),
        (Guardianship.dependent_id, Guardianship.guardian_id),
    ):
        kept = select(col(other)).where(col(side) == into_id)
        await session.execute(
            delete(Guardianship).where(col(side) == flagged_id, col(other).in_(kept))
        )
        await session.execute(
            update(Guardianship).where(col(side) == flagged_id).values({side: into_id})
        )


def _identity_taken(flagged: Patient, kept: Patient) -> dict[str, Any]:
    """What the kept card lacked and the flagged one knew (PESEL, date of birth, sex)."""
    taken: dict[str, Any] = {}
    for name in ("pesel", "birth_date", "sex"):
        if getattr(kept, name) is None and getattr(flagged, name) is not None:
            taken[name] = getattr(flagged, name)
    return taken
