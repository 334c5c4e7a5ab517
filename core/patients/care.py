"""Cards in another card's care: a child, or an adult under care. The guardian books for
them from their own chat or call, and the dependent's reminders reach the guardian.

`care_of` is what the desk and the bot read (a card's dependents and guardians);
`require_care` is what a booking checks, inside its own transaction, and `in_care` what
a change to a dependent's visit checks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import InvalidInput, NotFound
from core.models import Guardianship, Patient
from core.vocab import CareRelation


@dataclass(frozen=True)
class InCare:
    """One card on the other side of a guardianship, and why it is there."""

    patient: Patient
    relation: CareRelation


@dataclass(frozen=True)
class CareCircle:
    """Whom a card books for (`dependents`), and who books for it (`guardians`)."""

    dependents: list[InCare]
    guardians: list[InCare]


class CareService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def care_of(self, patient_id: int) -> CareCircle:
        """A card's dependents and guardians, each by name order."""
        async with self.db.read() as session:
            if await session.get(Patient, patient_id) is None:
                raise NotFound("no such patient")
            dependents = await _side(session, patient_id, as_guardian=True)
            guardians = await _side(session, patient_id, as_guardian=False)
        return CareCircle(dependents, guardians)

    async def dependents(self, guardian_id: int) -> list[InCare]:
        """Whom this card books for (the bot's "for whom?")."""
        async with self.db.read() as session:
            return await _side(session, guardian_id, as_guardian=True)

    async def link(self, guardian_id: int, dependent_id: int, relation: CareRelation) -> None:
        """An existing card put in another's care (the desk does it, documents seen)."""
        if guardian_id == dependent_id:
            raise InvalidInput("a card cannot be in its own care", field="dependent_id")

        async def work(session: AsyncSession) -> None:
            for patient_id in (guardian_id, dependent_id):
                if await session.get(Patient, patient_id) is None:
                    raise NotFound("no such patient")
            await session.execute(
                insert_or_skip(session, Guardianship, "guardian_id", "dependent_id").values(
                    guardian_id=guardian_id,
                    dependent_id=dependent_id,
                    relation=relation,
                    created_at=self.clock.now(),
                )
            )

        await self.db.write(work)


async def require_care(session: AsyncSession, guardian_id: int, dependent_id: int) -> None:
    """`NotFound` unless the card `dependent_id` is in the care of `guardian_id` (a patient
    booking for someone else sees no card that is not theirs to book for)."""
    if not await in_care(session, guardian_id, dependent_id):
        raise NotFound("no such patient")


async def in_care(session: AsyncSession, guardian_id: int, dependent_id: int) -> bool:
    """Whether the card `dependent_id` is in the care of `guardian_id` (read in the
    caller's transaction, so a visit changed for a dependent is checked under its lock)."""
    row = await session.execute(
        select(col(Guardianship.id)).where(
            col(Guardianship.guardian_id) == guardian_id,
            col(Guardianship.dependent_id) == dependent_id,
        )
    )
    return row.first() is not None


async def _side(session: AsyncSession, patient_id: int, *, as_guardian: bool) -> list[InCare]:
    mine, theirs = (
        (Guardianship.guardian_id, Guardianship.dependent_id)
        if as_guardian
        else (Guardianship.dependent_id, Guardianship.guardian_id)
    )
    rows = await session.execute(
        select(Patient, col(Guardianship.relation))
        .join(Guardianship, col(theirs) == col(Patient.id))
        .where(col(mine) == patient_id)
        .order_by(col(Patient.first_name), col(Patient.last_name), col(Patient.id))
    )
    return [InCare(patient, relation) for patient, relation in rows.all()]
