"""Staff accounts of the registration desk, the branches each may see, and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models._columns import enum, optional_enum, utc
from core.vocab import Channel, StaffRole


class StaffMember(SQLModel, table=True):
    """A person at the desk (or a doctor); `login` is what the change history records."""

    __tablename__ = "staff_member"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=200)
    role: StaffRole = enum(StaffRole)
    # A doctor's account sees that doctor's schedule only.
    doctor_id: int | None = Field(default=None, foreign_key="doctor.id", index=True)
    active: bool = True
    # The language the member chose for the dashboard (pl, uk, ru, en); None: not chosen yet.
    language: str | None = Field(default=None, max_length=5)
    password_hash: str = Field(max_length=200, repr=False)
    created_at: datetime = utc()


class StaffBranch(SQLModel, table=True):
    """A branch a registrar works for; admins and doctors need no rows here."""

    __tablename__ = "staff_branch"
    staff_id: int = Field(foreign_key="staff_member.id", primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", primary_key=True, index=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for an integration: only its SHA-256 is kept, its prefix is shown.

    A token scoped to a `partner` opens the FHIR scheduling API as that partner's channel
    and nothing else; one without opens the staff API as its member."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_member.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True, repr=False)
    # None: everything its owner may do; else only the operations that name this scope
    # (a laboratory's token: "documents:add", which adds documents and reads nothing).
    scope: str | None = Field(default=None, max_length=40)
    created_at: datetime = utc()
    last_used_at: datetime | None = utc(nullable=True)
    revoked_at: datetime | None = utc(nullable=True)
    partner: Channel | None = optional_enum(Channel)
