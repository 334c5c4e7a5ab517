"""Patients' cards and their contacts (one card, many ways to reach it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.types import StrEnumType
from core.models._columns import enum, utc
from core.vocab import CareRelation, ContactKind, Sex


class Patient(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    birth_date: date | None = None
    sex: Sex | None = Field(default=None, sa_type=StrEnumType(Sex), nullable=True)
    pesel: str | None = Field(default=None, max_length=11, unique=True)
    language: str = Field(default="pl", max_length=5)
    needs_verification: bool = False
    created_at: datetime = utc()


class Contact(SQLModel, table=True):
    """A way to reach a patient; one value belongs to one card only."""

    __table_args__ = (UniqueConstraint("kind", "value", name="uq_contact_kind_value"),)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: ContactKind = enum(ContactKind)
    value: str = Field(max_length=200)
    verified: bool = False
    priority: int = 0  # lower is preferred


class Guardianship(SQLModel, table=True):
    """A card in another card's care (a child, an adult under care): the guardian books
    for them, and their reminders reach the guardian's channel."""

    __table_args__ = (
        UniqueConstraint("guardian_id", "dependent_id", name="uq_guardianship_pair"),
        CheckConstraint("guardian_id <> dependent_id", name="guardian_is_not_dependent"),
    )
    id: int | None = Field(default=None, primary_key=True)
    guardian_id: int = Field(foreign_key="patient.id", index=True)
    dependent_id: int = Field(foreign_key="patient.id", index=True)
    relation: CareRelation = enum(CareRelation)
    created_at: datetime = utc()
