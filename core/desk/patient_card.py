"""A patient's card as the desk reads it: identity, contacts, visits past and future,
every message sent and how far it got, and the chats linked to the card.

Visits are those the member's scope covers (`BookingFilter.narrowed`); the rest of the
card is the clinic's, as the card search is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.desk.booking_search import BookingFilter, BookingRow, BookingSearch
from core.desk.scope import StaffScope
from core.errors import NotFound
from core.models import Contact, Conversation, Notification, Patient
from core.patients.identity import pesel_valid
from core.vocab import ContactKind

MAX_ROWS = 200  # visits and messages shown; a card with more is read in the API's export
MESSENGERS = frozenset({ContactKind.TELEGRAM, ContactKind.WHATSAPP, ContactKind.WEB})


@dataclass(frozen=True)
class PatientCardView:
    patient: Patient
    pesel_valid: bool | None  # None: no PESEL on the card
    contacts: list[Contact]  # phones, e-mail, linked chats; preferred first
    upcoming: list[BookingRow]
    past: list[BookingRow]
    messages: list[Notification]  # newest first
    chats: list[Conversation]

    @property
    def linked_chats(self) -> list[Contact]:
        return [c for c in self.contacts if c.kind in MESSENGERS]

    @property
    def reachable(self) -> list[Contact]:
        return [c for c in self.contacts if c.kind not in MESSENGERS]


class PatientCards:
    def __init__(self, db: Database, search: BookingSearch) -> None:
        self.db = db
        self.search = search

    async def card(
        self, scope: StaffScope, patient_id: int, now: datetime, language: str = "pl"
    ) -> PatientCardView:
        """The card with its visits (named in `language`, the member's), messages and chats."""
        async with self.db.read() as session:
            patient = await session.get(Patient, patient_id)
            if patient is None:
                raise NotFound("no such patient")
            contacts = list(
                (
                    await session.execute(
                        select(Contact)
                        .where(col(Contact.patient_id) == patient_id)
                        .order_by(col(Contact.priority), col(Contact.id))
                    )
                ).scalars()
            )
            messages = list(
                (
                    await session.execute(
                        select(Notification)
                        .where(col(Notification.patient_id) == patient_id)
                        .order_by(col(Notification.due_at).desc(), col(Notification.id).desc())
                        .limit(MAX_ROWS)
                    )
                ).scalars()
            )
            chats = list(
                (
                    await session.execute(
                        select(Conversation)
                        .where(col(Conversation.patient_id) == patient_id)
                        .order_by(col(Conversation.updated_at).desc())
                    )
                ).scalars()
            )
        visits = await self.search.find(
            BookingFilter(patient_id=patient_id).narrowed(
                doctor_ids=scope.doctor_ids, branch_ids=scope.branch_ids
            ),
            limit=MAX_ROWS,
            language=language,
        )
        return PatientCardView(
            patient=patient,
            pesel_valid=None if patient.pesel is None else pesel_valid(patient.pesel),
            contacts=contacts,
            upcoming=[r for r in visits.rows if r.booking.start_at >= now],
            past=[r for r in reversed(visits.rows) if r.booking.start_at < now],
            messages=messages,
            chats=chats,
        )
