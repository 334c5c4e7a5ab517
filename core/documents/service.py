"""Documents on a patient's card: added by staff or a laboratory's token, listed, opened
by staff (logged like any opening), removed when the clinic's retention for their kind
runs out or when the patient is erased.

Adding is put-then-insert: the files are stored first under fresh random keys, then the
row is written; if the row cannot be written the files are removed again, and if the
store fails nothing is written. So no record ever points at a missing file (a crash
between the two leaves at worst a file no record names). Removing is the other way
round: the row goes first, then its files.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor, Reach
from core.clock import Clock
from core.db.database import Database
from core.documents import access
from core.documents.files import UploadLimits, check_name, check_pdf, check_structured
from core.documents.store import DocumentStore, StorageFailed
from core.errors import InvalidInput, NotFound
from core.messaging.reminder_rules import ReminderRules
from core.models import (
    Booking,
    Branch,
    Document,
    DocumentAccess,
    DocumentGrant,
    DocumentLink,
    DocumentRetention,
    Patient,
)
from core.vocab import Channel, DocumentKind, OpenerKind, PatientEvent

log = logging.getLogger(__name__)

RESULTS = (DocumentKind.LAB_RESULT, DocumentKind.DIAGNOSTIC_RESULT)


@dataclass(frozen=True)
class NewDocument:
    patient_id: int
    kind: DocumentKind
    name: str  # the file's name as sent
    issued_on: date
    author: str
    content: bytes
    structured: bytes | None = None  # the HL7 CDA form, kept as it came
    booking_id: int | None = None
    branch_id: int | None = None  # needed when no visit says where it belongs


@dataclass(frozen=True)
class Opened:
    document: Document
    content: bytes


def _visible(reach: Reach | None, document: Document, visit_doctor: int | None) -> bool:
    """A registrar sees their branches' documents, a doctor those of their own visits."""
    if reach is None:
        return True
    if reach.doctor_ids is not None and visit_doctor not in reach.doctor_ids:
        return False
    return reach.branch_ids is None or document.branch_id in reach.branch_ids


class DocumentService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        store: DocumentStore,
        rules: ReminderRules,
        limits: UploadLimits | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.store = store
        self.rules = rules
        self.limits = limits or UploadLimits()

    async def add(self, actor: Actor, new: NewDocument) -> Document:
        """Check the upload, store its files, then its row; a result tells the patient
        (the "lab result ready" event, whose message names no test)."""
        name = check_name(new.name)
        check_pdf(new.content, self.limits)
        if new.structured is not None:
            check_structured(new.structured, self.limits)
        author = new.author.strip()
        if not author or len(author) > 200 or not author.isprintable():
            raise InvalidInput("an author (at most 200 characters) is required", field="author")
        branch_id = await self._place(new)
        if actor.reach is not None:
            actor.reach.require_branch(branch_id)
        file_key = secrets.token_hex(16)
        structured_key = secrets.token_hex(16) if new.structured is not None else None
        stored: list[str] = []
        try:
            await self.store.put(file_key, new.content)
            stored.append(file_key)
            if structured_key is not None and new.structured is not None:
                await self.store.put(structured_key, new.structured)
                stored.append(structured_key)
            document = await self.db.write(
                lambda session: self._insert(
                    session, new, name, author, branch_id, file_key, structured_key, actor.id
                )
            )
        except BaseException:
            for key in stored:
                await self._forget(key)
            raise
        assert document.id is not None
        if new.kind in RESULTS:
            await self.rules.raise_event(
                new.patient_id, PatientEvent.LAB_RESULT_READY, f"document-{document.id}"
            )
        log.info("document %s added to patient %s", document.id, new.patient_id)
        return document

    async def _place(self, new: NewDocument) -> int:
        """The branch the document belongs to: its visit's, else the one given."""
        async with self.db.read() as session:
            if await session.get(Patient, new.patient_id) is None:
                raise NotFound("no such patient")
            if new.booking_id is not None:
                visit = await session.get(Booking, new.booking_id)
                if visit is None or visit.patient_id != new.patient_id:
                    raise NotFound("no such visit of this patient")
                return visit.branch_id
            if new.branch_id is None or await session.get(Branch, new.branch_id) is None:
                raise InvalidInput("name the visit or the branch", field="branch_id")
            return new.branch_id

    async def _insert(
        self,
        session: AsyncSession,
        new: NewDocument,
        name: str,
        author: str,
        branch_id: int,
        file_key: str,
        structured_key: str | None,
        added_by: str,
    ) -> Document:
        document = Document(
            patient_id=new.patient_id,
            kind=new.kind,
            title=name,
            issued_on=new.issued_on,
            author=author,
            booking_id=new.booking_id,
            branch_id=branch_id,
            file_key=file_key,
            size=len(new.content),
            sha256=hashlib.sha256(new.content).hexdigest(),
            structured_key=structured_key,
            added_by=added_by,
            added_at=self.clock.now(),
        )
        session.add(document)
        await session.flush()
        return document

    async def _forget(self, key: str) -> None:
        try:
            await self.store.delete(key)
        except StorageFailed:
            log.warning("a document file could not be removed; it is named by no record")

    # -- reading ------------------------------------------------------------------------

    async def of_patient(self, patient_id: int, reach: Reach | None = None) -> list[Document]:
        """The patient's documents, newest first; staff see those in their reach."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Document, col(Booking.doctor_id))
                .outerjoin(Booking, col(Booking.id) == col(Document.booking_id))
                .where(col(Document.patient_id) == patient_id)
                .order_by(col(Document.issued_on).desc(), col(Document.id).desc())
            )
            return [doc for doc, doctor in rows.all() if _visible(reach, doc, doctor)]

    async def get(self, document_id: int, reach: Reach | None = None) -> Document:
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(Document, col(Booking.doctor_id))
                    .outerjoin(Booking, col(Booking.id) == col(Document.booking_id))
                    .where(col(Document.id) == document_id)
                )
            ).first()
        if row is None or not _visible(reach, row[0], row[1]):
            raise NotFound("no such document")
        return row[0]

    async def open_as_staff(
        self, actor: Actor, document_id: int, *, structured: bool = False
    ) -> Opened:
        """A staff member opens a document in their reach: logged like any opening."""
        document = await self.get(document_id, actor.reach)
        key = document.structured_key if structured else document.file_key
        if key is None:
            raise NotFound("this document has no structured form")
        content = await self.store.get(key)
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            access.record(
                session,
                patient_id=document.patient_id,
                document_id=document_id,
                opener=OpenerKind.STAFF,
                opened_by=actor.id,
                channel=Channel.STAFF,
                at=now,
            )

        await self.db.write(work)
        return Opened(document, content)

    async def access_log(self, patient_id: int) -> list[DocumentAccess]:
        """Every opening of the patient's documents, newest first."""
        return await access.log_of(self.db, patient_id)

    # -- retention and erasure -----------------------------------------------------------

    async def retention(self) -> dict[DocumentKind, int]:
        async with self.db.read() as session:
            rows = await session.execute(select(DocumentRetention))
            return {row.kind: row.days for row in rows.scalars()}

    async def set_retention(self, kind: DocumentKind, days: int | None) -> None:
        """Keep documents of `kind` for `days` after they were issued (None: until erased)."""
        if days is not None and not 1 <= days <= 365 * 100:
            raise InvalidInput("days run from 1 to 36500", field="days")

        async def work(session: AsyncSession) -> None:
            await session.execute(
                delete(DocumentRetention).where(col(DocumentRetention.kind) == kind)
            )
            if days is not None:
                session.add(DocumentRetention(kind=kind, days=days))

        await self.db.write(work)

    async def purge_expired(self) -> int:
        """Remove the documents whose kind's retention has run out; how many went."""
        today = self.clock.now().date()
        removed = 0
        for kind, days in (await self.retention()).items():
            cutoff = today - timedelta(days=days)
            removed += await self._remove(
                col(Document.kind) == kind, col(Document.issued_on) < cutoff
            )
        return removed

    async def erase_patient(self, patient_id: int) -> None:
        """The patient's documents (files too), links and consents removed; the access
        log keeps its rows, which name no document and no person but by id."""
        await self._remove(col(Document.patient_id) == patient_id)

        async def work(session: AsyncSession) -> None:
            await session.execute(
                delete(DocumentLink).where(col(DocumentLink.patient_id) == patient_id)
            )
            await session.execute(
                delete(DocumentGrant).where(col(DocumentGrant.patient_id) == patient_id)
            )

        await self.db.write(work)

    async def _remove(self, *where: ColumnElement[bool]) -> int:
        """Rows first (with their links), then their files; how many documents went."""

        async def work(session: AsyncSession) -> list[Document]:
            found = list((await session.execute(select(Document).where(*where))).scalars())
            ids = [d.id for d in found]
            if ids:
                await session.execute(
                    delete(DocumentLink).where(col(DocumentLink.document_id).in_(ids))
                )
                await session.execute(delete(Document).where(col(Document.id).in_(ids)))
            return found

        removed = await self.db.write(work)
        for document in removed:
            for key in (document.file_key, document.structured_key):
                if key is not None:
                    await self._forget(key)
        return len(removed)
