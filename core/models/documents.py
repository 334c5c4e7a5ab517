"""Patients' documents (seed 003's repository), the consents that let someone else see
them for a window, the signed links they are opened by, the access log no one edits, and
how long the clinic keeps each kind."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from core.db.types import StrEnumType
from core.models._columns import enum, utc
from core.vocab import Channel, DocumentKind, GranteeKind, GrantSource, OpenerKind


class Document(SQLModel, table=True):
    """A PDF on a card (and, when given, its structured form kept as it came); the files
    are in the document store under random keys, never under the name they came with."""

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: DocumentKind = enum(DocumentKind)
    title: str = Field(max_length=200)  # the file's name as sent: shown to staff only
    issued_on: date
    author: str = Field(max_length=200)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    file_key: str = Field(max_length=64, unique=True)
    size: int
    sha256: str = Field(max_length=64)
    structured_key: str | None = Field(default=None, max_length=64, unique=True)
    added_by: str = Field(max_length=100)  # a staff login (a laboratory's token's owner)
    added_at: datetime = utc()


class DocumentGrant(SQLModel, table=True):
    """A consent in the register: a person may see the patient's documents from
    `valid_from` to `valid_until`, unless revoked. A consent on paper names who recorded it."""

    __tablename__ = "document_grant"
    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="window"),
        CheckConstraint("source <> 'paper' OR recorded_by IS NOT NULL", name="paper_recorded_by"),
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    grantee_kind: GranteeKind = enum(GranteeKind)
    phone: str = Field(max_length=20, index=True)  # E.164: where their check code goes
    grantee_name: str | None = Field(default=None, max_length=100)
    valid_from: datetime = utc()
    valid_until: datetime = utc()
    source: GrantSource = enum(GrantSource)
    recorded_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = utc()
    revoked_at: datetime | None = utc(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=100)


class DocumentLink(SQLModel, table=True):
    """A signed link to one document for one person (the patient, or a consent's
    grantee): it expires, opens once, and only after the second check."""

    __tablename__ = "document_link"
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    grant_id: int | None = Field(default=None, foreign_key="document_grant.id", index=True)
    channel: Channel = enum(Channel)
    nonce_hash: str = Field(max_length=64, unique=True)
    code_hash: str | None = Field(default=None, max_length=64)  # a code sent by SMS
    expires_at: datetime = utc()
    used_at: datetime | None = utc(nullable=True)
    created_at: datetime = utc()


class DocumentAccess(SQLModel, table=True):
    """One opening of a document: append-only (triggers refuse UPDATE and DELETE on both
    databases). Ids only, no foreign keys: the log outlives an erased document."""

    __tablename__ = "document_access"
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(index=True)
    document_id: int
    opener: OpenerKind = enum(OpenerKind)
    opened_by: str = Field(max_length=100)  # the patient's id, the consent's id, a login
    grant_id: int | None = None
    channel: Channel = enum(Channel)
    opened_at: datetime = utc()


class DocumentRetention(SQLModel, table=True):
    """How many days the clinic keeps documents of a kind (none: kept until erased)."""

    __tablename__ = "document_retention"
    kind: DocumentKind = Field(sa_type=StrEnumType(DocumentKind), primary_key=True)
    days: int = Field(ge=1)
