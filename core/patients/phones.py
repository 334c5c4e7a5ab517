"""Cards found by phone number, the one way every face matches a number to a card: the
number read by phonenumbers into E.164 ("601 234 567" and "+48 601-234-567" are one
number, Polish numbers without +48), compared with the card's phone and WhatsApp
contacts, which are stored in E.164 (`core.patients.cards.normalize_contact`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.errors import PhoneInvalid
from core.models import Contact, Patient
from core.patients.identity import normalize_phone
from core.vocab import ContactKind

PHONE_KINDS = (ContactKind.PHONE, ContactKind.WHATSAPP)


def e164(value: str) -> str | None:
    """The number in E.164, or None when it is no valid number ("anonymous", garbage)."""
    try:
        return normalize_phone(value.strip().removeprefix("whatsapp:"))
    except PhoneInvalid:
        return None


class PhoneCards:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def cards(self, phones: Iterable[str]) -> dict[str, Patient]:
        """Each number as given (that belongs to a card) to its card; a phone contact is
        preferred over a WhatsApp one, then the oldest card."""
        wanted = {phone: e164(phone) for phone in set(phones)}
        numbers = sorted({n for n in wanted.values() if n})
        if not numbers:
            return {}
        async with self.db.read() as session:
            rows = await session.execute(
                select(col(Contact.value), Patient)
                .join(Patient, col(Patient.id) == col(Contact.patient_id))
                .where(
                    col(Contact.kind).in_([k.value for k in PHONE_KINDS]),
                    col(Contact.value).in_(numbers),
                )
                .order_by(col(Contact.kind), col(Patient.id))  # "phone" before "whatsapp"
            )
            by_number: dict[str, Patient] = {}
            for number, patient in rows.all():
                by_number.setdefault(str(number), patient)
        return {
            phone: by_number[number]
            for phone, number in wanted.items()
            if number and number in by_number
        }

    async def card(self, phone: str) -> Patient | None:
        return (await self.cards([phone])).get(phone)
