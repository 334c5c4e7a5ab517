"""Patients' cards and their contacts (one card, many ways to reach it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db.types import StrEnumType
from core.models._columns import enum, utc
from core.vocab import ContactKind, Sex


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
