"""A patient's records for the desk: finding cards, exporting everything we hold about a
patient (the right of access), and erasing it on request (the right to erasure).

Erasing keeps the rows that other records point at (a booking's history stays
consistent) but strips everything that identifies the person: names, PESEL,
date of birth, contacts, chat transcripts, linking codes, the addresses and
texts of notifications, and their documents (files too) and consents; the documents'
access log stays, naming nothing but ids. Their future visits are cancelled and their waiting-list
entries withdrawn first, as the staff member who asked, so the history says who.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from core.actors import Actor
from core.booking.service import CANCELLABLE, BookingService
from core.booking.waitlist import WaitlistService
from core.clock import Clock
from core.db.database import Database
from core.documents.service import DocumentService
from core.errors import NotFound
from core.journal import plain
from core.models import (
    Booking,
    BookingChange,
    Contact,
    Conversation,
    Document,
    DocumentAccess,
    DocumentGrant,
    Escalation,
    EscalationMessage,
    Guardianship,
    LinkCode,
    Notification,
    Patient,
    WaitlistEntry,
)
from core.patients.identity import normalize_pesel
from core.patients.match import name_matches, phone_matches
from core.vocab import NotificationStatus, WaitlistStatus

ERASED = "erased"
ERASED_TEXT = "[erased]"
ERASE_REASON = "the patient's data was erased on request"


@dataclass(frozen=True)
class PatientPage:
    patients: list[Patient]
    has_more: bool


def _row(model: SQLModel) -> dict[str, Any]:
    return {k: plain(v) for k, v in model.model_dump().items()}


class PatientRecords:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        booking: BookingService,
        waitlist: WaitlistService,
        documents: DocumentService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.booking = booking
        self.waitlist = waitlist
        self.documents = documents

    async def find(
        self,
        *,
        name: str | None = None,
        phone: str | None = None,
        pesel: str | None = None,
        born: date | None = None,
        flagged: bool | None = None,
        limit: int,
        offset: int,
    ) -> PatientPage:
        """Cards whose name holds every word of `name`, with a phone holding `phone`'s
        digits, with exactly this PESEL, born on `born`, flagged
        for verification (or not); by last name."""
        statement = select(Patient)
        if name:
            statement = statement.where(*name_matches(name))
        if phone:
            statement = statement.where(phone_matches(col(Patient.id), phone))
        if pesel:
            statement = statement.where(col(Patient.pesel) == normalize_pesel(pesel))
        if born:
            statement = statement.where(col(Patient.birth_date) == born)
        if flagged is not None:
            statement = statement.where(col(Patient.needs_verification).is_(flagged))
        statement = (
            statement.order_by(col(Patient.last_name), col(Patient.first_name), col(Patient.id))
            .limit(limit + 1)
            .offset(offset)
        )
        async with self.db.read() as session:
            found = list((await session.execute(statement)).scalars())
        return PatientPage(found[:limit], has_more=len(found) > limit)

    async def remove_contact(self, patient_id: int, contact_id: int) -> None:
        """Unlink a chat or drop a phone or e-mail from the card."""

        async def work(session: AsyncSession) -> None:
            done = await session.execute(
                delete(Contact).where(
                    col(Contact.id) == contact_id, col(Contact.patient_id) == patient_id
                )
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("no such contact")

        await self.db.write(work)

    async def export(self, patient_id: int) -> dict[str, Any]:
        """Everything held about the patient, as plain JSON values."""
        async with self.db.read() as session:
            patient = await session.get(Patient, patient_id)
            if patient is None:
                raise NotFound("no such patient")

            async def rows(model: type[SQLModel], *where: Any) -> list[dict[str, Any]]:
                found = await session.execute(select(model).where(*where))
                return [_row(r) for r in found.scalars()]

            bookings = await rows(Booking, col(Booking.patient_id) == patient_id)
            booking_ids = [b["id"] for b in bookings]
            escalations = await rows(Escalation, col(Escalation.patient_id) == patient_id)
            return {
                "patient": _row(patient),
                "contacts": await rows(Contact, col(Contact.patient_id) == patient_id),
                "care": await rows(
                    Guardianship,
                    or_(
                        col(Guardianship.guardian_id) == patient_id,
                        col(Guardianship.dependent_id) == patient_id,
                    ),
                ),
                "bookings": bookings,
                "booking_history": await rows(
                    BookingChange, col(BookingChange.booking_id).in_(booking_ids)
                ),
                "waiting_list": await rows(
                    WaitlistEntry, col(WaitlistEntry.patient_id) == patient_id
                ),
                "conversations": await rows(
                    Conversation, col(Conversation.patient_id) == patient_id
                ),
                "escalations": escalations,
                "escalation_messages": await rows(
                    EscalationMessage,
                    col(EscalationMessage.escalation_id).in_([e["id"] for e in escalations]),
                ),
                "notifications": await rows(
                    Notification, col(Notification.patient_id) == patient_id
                ),
                "documents": [
                    {k: v for k, v in row.items() if not k.endswith("_key")}
                    for row in await rows(Document, col(Document.patient_id) == patient_id)
                ],
                "document_consents": await rows(
                    DocumentGrant, col(DocumentGrant.patient_id) == patient_id
                ),
                "document_access_log": await rows(
                    DocumentAccess, col(DocumentAccess.patient_id) == patient_id
                ),
            }

    async def erase(self, actor: Actor, patient_id: int) -> None:
        """Cancel what is still ahead, then strip the card and everything that names them."""
        now = self.clock.now()
        async with self.db.read() as session:
            if await session.get(Patient, patient_id) is None:
                raise NotFound("no such patient")
            ahead = (
                await session.execute(
                    select(col(Booking.id)).where(
                        col(Booking.patient_id) == patient_id,
                        col(Booking.start_at) > now,
                        col(Booking.status).in_([s.value for s in CANCELLABLE]),
                    )
                )
            ).scalars()
            waiting = (
                await session.execute(
                    select(col(WaitlistEntry.id)).where(
                        col(WaitlistEntry.patient_id) == patient_id,
                        col(WaitlistEntry.status).in_(
                            [WaitlistStatus.WAITING, WaitlistStatus.OFFERED]
                        ),
                    )
                )
            ).scalars()
            ahead_ids = [int(i) for i in ahead if i is not None]
            waiting_ids = [int(i) for i in waiting if i is not None]
        for booking_id in ahead_ids:
            await self.booking.cancel(actor, booking_id, ERASE_REASON)
        for entry_id in waiting_ids:
            await self.waitlist.withdraw(actor, entry_id)
        await self.documents.erase_patient(patient_id)
        await self.db.write(lambda session: _strip(session, patient_id))


async def _strip(session: AsyncSession, patient_id: int) -> None:
    await session.execute(
        update(Patient)
        .where(col(Patient.id) == patient_id)
        .values(
            first_name=ERASED,
            last_name=ERASED,
            pesel=None,
            birth_date=None,
            sex=None,
            needs_verification=False,
        )
    )
    await session.execute(delete(Contact).where(col(Contact.patient_id) == patient_id))
    await session.execute(delete(LinkCode).where(col(LinkCode.patient_id) == patient_id))
    await session.execute(
        delete(Guardianship).where(
            or_(
                col(Guardianship.guardian_id) == patient_id,
                col(Guardianship.dependent_id) == patient_id,
            )
        )
    )
    await session.execute(
        update(Booking)
        .where(col(Booking.patient_id) == patient_id)
        .values(referral=None, e_referral=None)
    )
    await session.execute(
        update(Conversation)
        .where(col(Conversation.patient_id) == patient_id)
        .values(patient_id=None, state={})
    )
    cases = select(col(Escalation.id)).where(col(Escalation.patient_id) == patient_id)
    await session.execute(
        update(EscalationMessage)
        .where(col(EscalationMessage.escalation_id).in_(cases))
        .values(text=ERASED_TEXT)
    )
    await session.execute(
        update(Escalation).where(col(Escalation.patient_id) == patient_id).values(chat_id=ERASED)
    )
    await session.execute(
        update(Notification)
        .where(
            col(Notification.patient_id) == patient_id,
            col(Notification.status) == NotificationStatus.PENDING,
        )
        .values(status=NotificationStatus.SKIPPED)
    )
    await session.execute(
        update(Notification)
        .where(col(Notification.patient_id) == patient_id)
        .values(to_address=None, params={})
    )
