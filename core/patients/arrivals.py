"""A patient another system books for (a partner's notice, the FHIR API): matched to a
card by PESEL, then by e-mail, or given a new card flagged for the desk to verify.

Inside the caller's transaction, so the card and the booking it is for exist together
or not at all. Nothing the other system sends is trusted beyond matching: a new card's
phone that is malformed or another card's is left out (staff verify the card anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import DomainError
from core.models import Contact, Patient
from core.patients.cards import attach_contact, normalize_contact
from core.patients.identity import normalize_pesel
from core.vocab import ContactKind, Sex

NAME_CHARS = 100


@dataclass(frozen=True)
class Arrival:
    """What the other system says of its patient; only the names are required."""

    first_name: str
    last_name: str
    birth_date: date | None = None
    sex: Sex | None = None
    pesel: str | None = None  # checked: a wrong one raises `PeselInvalid`
    email: str | None = None
    phone: str | None = None


async def card_for(session: AsyncSession, arrival: Arrival, now: datetime) -> int:
    """The card with the arrival's PESEL, else with its e-mail, else a new one flagged
    `needs_verification`."""
    pesel = (
        normalize_pesel(arrival.pesel, birth_date=arrival.birth_date, sex=arrival.sex)
        if arrival.pesel
        else None
    )
    email = _email(arrival.email)
    if (found := await _matching(session, pesel, email)) is not None:
        return found
    card = Patient(
        first_name=(arrival.first_name.strip() or "?")[:NAME_CHARS],
        last_name=(arrival.last_name.strip() or "?")[:NAME_CHARS],
        birth_date=arrival.birth_date,
        sex=arrival.sex,
        pesel=pesel,
        needs_verification=True,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(card)
            await session.flush()
    except IntegrityError:  # the same PESEL arrived at once through another request
        found = await _matching(session, pesel, None)
        if found is None:
            raise
        return found
    assert card.id is not None
    if email is not None:
        await attach_contact(session, card.id, ContactKind.EMAIL, email, 0)
    if arrival.phone:
        try:
            phone = normalize_contact(ContactKind.PHONE, arrival.phone)
            async with session.begin_nested():
                await attach_contact(session, card.id, ContactKind.PHONE, phone, 1)
        except DomainError:  # malformed, or another card's
            pass
    return card.id


def _email(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_contact(ContactKind.EMAIL, value)
    except DomainError:
        return None


async def _matching(session: AsyncSession, pesel: str | None, email: str | None) -> int | None:
    if pesel is not None:
        found = await session.execute(select(col(Patient.id)).where(col(Patient.pesel) == pesel))
        if (patient_id := found.scalar()) is not None:
            return patient_id
    if email is not None:
        found = await session.execute(
            select(col(Contact.patient_id)).where(
                col(Contact.kind) == ContactKind.EMAIL, col(Contact.value) == email
            )
        )
        return found.scalar()
    return None
