"""Documents for the tests: a small real PDF, a CDA form, the services over a memory
store, and the markers (a title, a line of content) that must never reach a log, a
message or an error page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.actors import Actor
from core.clock import Clock
from core.db.database import Database
from core.documents.consents import ConsentRegister
from core.documents.links import DocumentLinks
from core.documents.service import DocumentService, NewDocument
from core.messaging.reminder_rules import ReminderRules
from core.vocab import DocumentKind
from testkit.fakes.document_store import MemoryStore, RecordedCodes

SECRET_TITLE = "HIV-Morfologia-Tajna.pdf"
SECRET_LINE = "Hemoglobina-ZASTRZEZONE-17"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"% " + SECRET_LINE.encode() + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
CDA = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>' + SECRET_LINE.encode() + b"</title>"
    b"</ClinicalDocument>"
)
SECRET_KEY = b"documents-test-secret-of-32-bytes!"
MARKERS = (SECRET_TITLE, SECRET_TITLE.removesuffix(".pdf"), SECRET_LINE)


@dataclass
class Desk:
    store: MemoryStore
    codes: RecordedCodes
    documents: DocumentService
    consents: ConsentRegister
    links: DocumentLinks


def desk(db: Database, clock: Clock) -> Desk:
    store, codes = MemoryStore(), RecordedCodes()
    return Desk(
        store,
        codes,
        DocumentService(db, clock, store, ReminderRules(db, clock)),
        ConsentRegister(db, clock),
        DocumentLinks(db, clock, store, SECRET_KEY, codes),
    )


def lab_result(patient_id: int, branch_id: int | None, **changes: object) -> NewDocument:
    values: dict[str, object] = {
        "patient_id": patient_id,
        "kind": DocumentKind.LAB_RESULT,
        "name": SECRET_TITLE,
        "issued_on": date(2026, 11, 30),
        "author": "Laboratorium Centralne",
        "content": PDF,
        "branch_id": branch_id,
    }
    return NewDocument(**(values | changes))  # type: ignore[arg-type]


ADMIN = Actor.staff("admin")
