"""The desk's one search field for a card: what the registrar typed read as a PESEL (11
digits), a date of birth (2026-12-01 or 01.12.2026), a phone number (digits, spaces, +)
or words of a name, and the cards it finds (`PatientRecords.find`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.desk.patient_records import PatientPage, PatientRecords
from core.errors import InvalidInput, PeselInvalid

MAX_QUERY = 100
CHOICES = 10
PESEL = re.compile(r"\d{11}")
ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
POLISH_DAY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
PHONE = re.compile(r"\+?[\d\s()-]{3,30}")


@dataclass(frozen=True)
class Lookup:
    name: str | None = None
    phone: str | None = None
    pesel: str | None = None
    born: date | None = None


def read_query(text: str) -> Lookup:
    """What a typed query means; an impossible date is read as a name (it finds nothing)."""
    text = " ".join(text.split())[:MAX_QUERY]
    if PESEL.fullmatch(text):
        return Lookup(pesel=text)
    for pattern, order in ((ISO_DAY, (1, 2, 3)), (POLISH_DAY, (3, 2, 1))):
        if found := pattern.fullmatch(text):
            year, month, day = (int(found[i]) for i in order)
            try:
                return Lookup(born=date(year, month, day))
            except ValueError:
                return Lookup(name=text)
    if PHONE.fullmatch(text):
        return Lookup(phone=text)
    return Lookup(name=text)


async def look_up(records: PatientRecords, text: str, *, flagged: bool = False) -> PatientPage:
    """The first cards matching the query (by last name); none for an empty query unless
    the flagged cards are asked for."""
    wanted = read_query(text) if text.strip() else Lookup()
    if wanted == Lookup() and not flagged:
        return PatientPage([], has_more=False)
    try:
        return await records.find(
            name=wanted.name,
            phone=wanted.phone,
            pesel=wanted.pesel,
            born=wanted.born,
            flagged=flagged or None,
            limit=CHOICES,
            offset=0,
        )
    except (InvalidInput, PeselInvalid):  # a PESEL that fails its check matches no card
        return PatientPage([], has_more=False)
