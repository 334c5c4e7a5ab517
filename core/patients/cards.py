"""Patients' cards: registration with checked identifiers, contacts, matching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import InvalidInput, NotFound
from core.models import Contact, Guardianship, Patient
from core.patients.identity import (
    normalize_email,
    normalize_pesel,
    normalize_phone,
    pesel_birth_date,
    pesel_sex,
)
from core.vocab import CareRelation, ContactKind, Sex

ADULT_AGE = 18
FIRST_BIRTH_YEAR = 1900  # an earlier year is a typing slip, not a patient


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on a given day."""
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


def is_minor(birth_date: date | None, today: date) -> bool:
    return birth_date is not None and age_on(birth_date, today) < ADULT_AGE


def plausible_birth_date(born: date, today: date) -> bool:
    """Whether a date typed as a date of birth can be one: not in the future, not before
    1900. Each face asks again when it is not."""
    return born <= today and born.year >= FIRST_BIRTH_YEAR


def normalize_contact(kind: ContactKind, value: str) -> str:
    """The canonical form a contact is stored and matched in."""
    value = value.strip()
    if kind in (ContactKind.PHONE, ContactKind.WHATSAPP):
        return normalize_phone(value.removeprefix("whatsapp:"))
    if kind is ContactKind.EMAIL:
        if len(value) > 200:
            raise InvalidInput("e-mail address too long")
        return normalize_email(value)
    if not value or len(value) > 64:
        raise InvalidInput("contact is empty or too long")
    return value


@dataclass(frozen=True)
class PatientDraft:
    """What a channel collected to create a card; only names are required."""

    first_name: str
    last_name: str
    birth_date: date | None = None
    sex: Sex | None = None
    pesel: str | None = None
    language: str = "pl"
    contacts: dict[ContactKind, str] = field(default_factory=dict)
    needs_verification: bool = False


class PatientService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def register(
        self, draft: PatientDraft, *, in_care_of: tuple[int, CareRelation] | None = None
    ) -> Patient:
        """A new card; each contact must not already belong to another card. With
        `in_care_of` (a guardian's card and why), the card is made in that card's care in
        the same transaction: a child or an adult under care, booked for by the guardian."""
        first, last = draft.first_name.strip(), draft.last_name.strip()
        if not first or not last or len(first) > 100 or len(last) > 100:
            raise InvalidInput("first and last name are required (at most 100 characters)")
        birth_date, sex, pesel = draft.birth_date, draft.sex, None
        if draft.pesel:
            pesel = normalize_pesel(draft.pesel, birth_date=birth_date, sex=sex)
            birth_date = birth_date or pesel_birth_date(pesel)
            sex = sex or pesel_sex(pesel)
        if birth_date is not None and birth_date > self.clock.now().date():
            raise InvalidInput("date of birth is in the future")
        contacts = [
            (kind, normalize_contact(kind, value), priority)
            for priority, (kind, value) in enumerate(draft.contacts.items())
        ]

        async def work(session: AsyncSession) -> Patient:
            inserted = await session.execute(
                insert_or_skip(session, Patient, "pesel")
                .values(
                    first_name=first,
                    last_name=last,
                    birth_date=birth_date,
                    sex=sex,
                    pesel=pesel,
                    language=draft.language,
                    needs_verification=draft.needs_verification,
                    created_at=self.clock.now(),
                )
                .returning(col(Patient.id))
            )
            patient_id = inserted.scalar()
            if patient_id is None:
                raise InvalidInput("a card with this PESEL exists", field="pesel")
            for kind, value, priority in contacts:
                await attach_contact(session, patient_id, kind, value, priority)
            if in_care_of is not None:
                guardian_id, relation = in_care_of
                if await session.get(Patient, guardian_id) is None:
                    raise NotFound("no such guardian")
                session.add(
                    Guardianship(
                        guardian_id=guardian_id,
                        dependent_id=patient_id,
                        relation=relation,
                        created_at=self.clock.now(),
                    )
                )
            return await session.get_one(Patient, patient_id)

        return await self.db.write(work)

    async def add_contact(
        self, patient_id: int, kind: ContactKind, value: str, *, verified: bool = False
    ) -> None:
        normalized = normalize_contact(kind, value)

        async def work(session: AsyncSession) -> None:
            if await session.get(Patient, patient_id) is None:
                raise NotFound("no such patient")
            count = len(
                (
                    await session.execute(
                        select(col(Contact.id)).where(col(Contact.patient_id) == patient_id)
                    )
                ).all()
            )
            await attach_contact(session, patient_id, kind, normalized, count, verified=verified)

        await self.db.write(work)

    async def get(self, patient_id: int) -> Patient:
        async with self.db.read() as session:
            patient = await session.get(Patient, patient_id)
        if patient is None:
            raise NotFound("no such patient")
        return patient

    async def names(self, patient_ids: Iterable[int]) -> dict[int, str]:
        """Card id to "first last", for a list's page of cards, in one read."""
        wanted = sorted(set(patient_ids))
        if not wanted:
            return {}
        async with self.db.read() as session:
            rows = await session.execute(
                select(col(Patient.id), col(Patient.first_name), col(Patient.last_name)).where(
                    col(Patient.id).in_(wanted)
                )
            )
            return {pid: f"{first} {last}" for pid, first, last in rows.all() if pid is not None}

    async def find_by_contact(self, kind: ContactKind, value: str) -> Patient | None:
        normalized = normalize_contact(kind, value)
        async with self.db.read() as session:
            row = await session.execute(
                select(Patient)
                .join(Contact, col(Contact.patient_id) == col(Patient.id))
                .where(col(Contact.kind) == kind, col(Contact.value) == normalized)
            )
            return row.scalars().first()

    async def contacts(self, patient_id: int) -> list[Contact]:
        """The card's contacts, preferred first."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Contact)
                .where(col(Contact.patient_id) == patient_id)
                .order_by(col(Contact.priority), col(Contact.id))
            )
            return list(rows.scalars())


async def attach_contact(
    session: AsyncSession,
    patient_id: int,
    kind: ContactKind,
    value: str,
    priority: int,
    *,
    verified: bool = False,
) -> None:
    """Bind a contact to a card inside the caller's transaction; one value, one card."""
    inserted = await session.execute(
        insert_or_skip(session, Contact, "kind", "value")
        .values(patient_id=patient_id, kind=kind, value=value, priority=priority, verified=verified)
        .returning(col(Contact.patient_id))
    )
    if inserted.first() is None:
        owner = await session.execute(
            select(col(Contact.patient_id)).where(
                col(Contact.kind) == kind, col(Contact.value) == value
            )
        )
        if owner.scalar_one() != patient_id:
            raise InvalidInput("this contact belongs to another card", field=kind.value)
