"""`/api/v1/patients/{id}/documents`, `/consents` and `/documents/retention`: documents
added to a card by the desk or by a laboratory's narrowed token (`documents:add`: it adds
and reads nothing), listed within the member's reach, the access log, the consent
register with paper consents and revocation, and the clinic's retention per kind.

Files travel as base64 in JSON, like the rest of the API; the file itself is opened at
`GET /staff/documents/{id}/file` (`frontdesk/staff/dashboard/documents.py`), logged."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel, Field

from core.desk.accounts import ADD_DOCUMENTS
from core.documents.service import DocumentService, NewDocument
from core.errors import InvalidInput
from core.vocab import Channel, DocumentKind, GranteeKind, GrantSource, OpenerKind
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, Instant, Output
from frontdesk.staff.api.openapi import ADMIN, ALL_ROLES, DESK, Api, Call

routes = Api()
TAG = "documents"
# A 10 MB PDF and its 2 MB structured form, in base64, with room to spare.
UPLOAD_BODY_BYTES = 24 * 1024 * 1024


class NewDocumentIn(Input):
    kind: DocumentKind
    name: str = Field(min_length=1, max_length=200, description="The PDF's file name")
    issued_on: date = Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))
    author: str = Field(min_length=1, max_length=200)
    booking_id: Id | None = Field(default=None, description="The visit it belongs to")
    branch_id: Id | None = Field(default=None, description="Needed when no visit is named")
    content_base64: str = Field(min_length=1, description="The PDF, base64")
    structured_base64: str | None = Field(
        default=None, description="The HL7 CDA form (XML), base64: kept as it came"
    )


class AddedDocument(BaseModel):
    """What the one who added a document learns back: its id, nothing of the card."""

    id: int


class DocumentOut(Output):
    id: int
    kind: DocumentKind
    title: str = Field(description="The file's name as it was sent")
    issued_on: date
    author: str
    booking_id: int | None
    branch_id: int
    size: int
    sha256: str
    has_structured: bool
    added_by: str
    added_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentOut]


class AccessOut(Output):
    id: int
    document_id: int
    opener: OpenerKind
    opened_by: str
    grant_id: int | None
    channel: Channel
    opened_at: datetime


class AccessLog(BaseModel):
    items: list[AccessOut]


class PaperConsent(Input):
    grantee_kind: GranteeKind
    phone: str = Field(min_length=3, max_length=30, description="Where their check code goes")
    name: str | None = Field(default=None, max_length=100)
    valid_from: Instant
    valid_until: Instant


class ConsentOut(Output):
    id: int
    grantee_kind: GranteeKind
    phone: str
    grantee_name: str | None
    valid_from: datetime
    valid_until: datetime
    source: GrantSource
    recorded_by: str | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


class ConsentList(BaseModel):
    items: list[ConsentOut]


class RetentionIn(Input):
    days: int | None = Field(ge=1, le=36500, description="null: kept until erased")


class RetentionOut(BaseModel):
    kind: DocumentKind
    days: int | None


class RetentionList(BaseModel):
    items: list[RetentionOut]


def documents(request: web.Request) -> DocumentService:
    return request.app[keys.SERVICES].documents


def _decoded(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("not valid base64", field=field) from None


@routes.route(
    "POST",
    "/patients/{patient_id}/documents",
    summary="Add a document (PDF, and its structured form) to a card",
    tag=TAG,
    roles=DESK,
    body=NewDocumentIn,
    response=AddedDocument,
    status=201,
    token_scope=ADD_DOCUMENTS,
    max_body_bytes=UPLOAD_BODY_BYTES,
)
async def add_document(call: Call) -> AddedDocument:
    b = call.body_as(NewDocumentIn)
    document = await documents(call.request).add(
        call.scope.actor,
        NewDocument(
            patient_id=call.ids["patient_id"],
            kind=b.kind,
            name=b.name,
            issued_on=b.issued_on,
            author=b.author,
            content=_decoded(b.content_base64, "content_base64"),
            structured=(
                _decoded(b.structured_base64, "structured_base64")
                if b.structured_base64 is not None
                else None
            ),
            booking_id=b.booking_id,
            branch_id=b.branch_id,
        ),
    )
    assert document.id is not None
    return AddedDocument(id=document.id)


@routes.route(
    "GET",
    "/patients/{patient_id}/documents",
    summary="A card's documents (a registrar's branches, a doctor's own visits)",
    tag=TAG,
    roles=ALL_ROLES,
    response=DocumentList,
)
async def list_documents(call: Call) -> DocumentList:
    found = await documents(call.request).of_patient(call.ids["patient_id"], call.scope.reach)
    return DocumentList(
        items=[
            DocumentOut.model_validate(
                {**d.model_dump(), "has_structured": d.structured_key is not None}
            )
            for d in found
        ]
    )


@routes.route(
    "GET",
    "/patients/{patient_id}/documents/access-log",
    summary="Every opening of the card's documents: who, when, how, on which consent",
    tag=TAG,
    roles=DESK,
    response=AccessLog,
)
async def document_access_log(call: Call) -> AccessLog:
    rows = await documents(call.request).access_log(call.ids["patient_id"])
    return AccessLog(items=[AccessOut.model_validate(r) for r in rows])


@routes.route(
    "GET",
    "/patients/{patient_id}/consents",
    summary="The card's consents to share documents",
    tag=TAG,
    roles=DESK,
    response=ConsentList,
)
async def list_consents(call: Call) -> ConsentList:
    found = await call.request.app[keys.SERVICES].consents.of_patient(call.ids["patient_id"])
    return ConsentList(items=[ConsentOut.model_validate(g) for g in found])


@routes.route(
    "POST",
    "/patients/{patient_id}/consents",
    summary="Record a consent the patient signed on paper",
    tag=TAG,
    roles=DESK,
    body=PaperConsent,
    response=ConsentOut,
    status=201,
)
async def record_paper_consent(call: Call) -> ConsentOut:
    b = call.body_as(PaperConsent)
    grant = await call.request.app[keys.SERVICES].consents.grant(
        call.ids["patient_id"],
        b.grantee_kind,
        b.phone,
        b.valid_from,
        b.valid_until,
        source=GrantSource.PAPER,
        name=b.name,
        recorded_by=call.scope.login,
    )
    return ConsentOut.model_validate(grant)


@routes.route(
    "POST",
    "/patients/{patient_id}/consents/{consent_id}/revoke",
    summary="Revoke a consent (openings on it are refused at once)",
    tag=TAG,
    roles=DESK,
    response=None,
)
async def revoke_consent(call: Call) -> None:
    await call.request.app[keys.SERVICES].consents.revoke(
        call.ids["patient_id"], call.ids["consent_id"], by=call.scope.login
    )


@routes.route(
    "GET",
    "/documents/retention",
    summary="How long each kind of document is kept",
    tag=TAG,
    roles=ADMIN,
    response=RetentionList,
)
async def retention(call: Call) -> RetentionList:
    days = await documents(call.request).retention()
    return RetentionList(items=[RetentionOut(kind=k, days=days.get(k)) for k in DocumentKind])


@routes.route(
    "PUT",
    "/documents/retention/{kind}",
    summary="Keep a kind of document this many days after it was issued",
    tag=TAG,
    roles=ADMIN,
    body=RetentionIn,
    response=None,
    names={"kind": tuple(DocumentKind)},
)
async def set_retention(call: Call) -> None:
    try:
        kind = DocumentKind(call.names["kind"])
    except ValueError:
        raise web.HTTPNotFound() from None
    await documents(call.request).set_retention(kind, call.body_as(RetentionIn).days)
