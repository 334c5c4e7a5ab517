"""Finding patients by what the desk types: words of a name, digits of a phone number.

Shared by the booking search and the card search, so both read a query the same way.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import col

from core.errors import InvalidInput
from core.models import Contact, Patient
from core.vocab import ContactKind

MAX_TERM = 100
MIN_PHONE_DIGITS = 3


def name_matches(text: str) -> list[ColumnElement[bool]]:
    """One condition per word: each word in the first or the last name, any case."""
    if len(text) > MAX_TERM:
        raise InvalidInput(f"a name search has at most {MAX_TERM} characters")
    conditions = []
    for word in text.split():
        pattern = f"%{_escape(word)}%"
        conditions.append(
            or_(
                col(Patient.first_name).ilike(pattern, escape="\\"),
                col(Patient.last_name).ilike(pattern, escape="\\"),
            )
        )
    return conditions


def phone_matches(patient_id: Any, text: str) -> ColumnElement[bool]:
    """The patient `patient_id` (a column) has a phone or WhatsApp number holding the digits."""
    digits = re.sub(r"\D", "", text)
    if not MIN_PHONE_DIGITS <= len(digits) <= MAX_TERM:
        raise InvalidInput(f"a phone search needs {MIN_PHONE_DIGITS} or more digits")
    return exists().where(
        and_(
            col(Contact.patient_id) == patient_id,
            col(Contact.kind).in_([ContactKind.PHONE.value, ContactKind.WHATSAPP.value]),
            col(Contact.value).contains(digits),
        )
    )


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
