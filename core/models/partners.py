"""Partner platforms: what maps to what, the operations owed to them, what they told us."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._columns import enum, utc
from core.vocab import Channel, MappingKind, PartnerOpKind, PartnerOpStatus


class PartnerMapping(SQLModel, table=True):
    """One of our entities (doctor, service, branch) as the partner knows it.

    `remote_id` is the partner's own id; a Docplanner doctor's is the
    address path `facility/doctor/address` its calendar lives at.
    """

    __tablename__ = "partner_mapping"
    __table_args__ = (
        UniqueConstraint("partner", "kind", "local_id", name="uq_partner_mapping_local"),
        UniqueConstraint("partner", "kind", "remote_id", name="uq_partner_mapping_remote"),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner: Channel = enum(Channel)
    kind: MappingKind = enum(MappingKind)
    local_id: int
    remote_id: str = Field(max_length=200)


class PartnerCursor(SQLModel, table=True):
    """How far into the outbox a partner's operations have been planned."""

    __tablename__ = "partner_cursor"
    partner: str = Field(primary_key=True, max_length=32)  # a partner Channel
    last_event_id: int = 0


class PartnerOperation(SQLModel, table=True):
    """Something owed to a partner, delivered in order per `subject` (a booking, a day of
    a doctor's slots). `key` is the idempotency key: the outbox event and what it became,
    so planning an event twice inserts nothing."""

    __tablename__ = "partner_operation"
    __table_args__ = (
        UniqueConstraint("partner", "key", name="uq_partner_operation_key"),
        Index("ix_partner_operation_due", "status", "next_attempt_at"),
        Index("ix_partner_operation_subject", "partner", "subject", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner: Channel = enum(Channel)
    key: str = Field(max_length=100)
    kind: PartnerOpKind = enum(PartnerOpKind)
    subject: str = Field(max_length=64)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: PartnerOpStatus = enum(PartnerOpStatus, default=PartnerOpStatus.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = utc()
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc(nullable=True)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc()
    done_at: datetime | None = utc(nullable=True)
    cause: str | None = Field(default=None, max_length=64)  # the request's id, for the logs


class PartnerBooking(SQLModel, table=True):
    """Our booking under the partner's id for it (a move there gives it a new id)."""

    __tablename__ = "partner_booking"
    __table_args__ = (
        UniqueConstraint("partner", "booking_id", name="uq_partner_booking_local"),
        UniqueConstraint("partner", "remote_id", name="uq_partner_booking_remote"),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner: Channel = enum(Channel)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    remote_id: str = Field(max_length=100)


class PartnerNotification(SQLModel, table=True):
    """A notification a partner sent (pushed or pulled), stored before it is applied;
    its `key` makes a redelivery insert nothing, so it is applied once."""

    __tablename__ = "partner_notification"
    __table_args__ = (
        UniqueConstraint("partner", "key", name="uq_partner_notification_key"),
        Index("ix_partner_notification_pending", "applied_at", "id"),
        Index("ix_partner_notification_booking", "partner", "remote_booking_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    partner: Channel = enum(Channel)
    key: str = Field(max_length=200)
    name: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # core.partners.port.NoticeKind
    remote_booking_id: str = Field(default="", max_length=100)  # what it is about, if a booking
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = utc()
    applied_at: datetime | None = utc(nullable=True)
    outcome: str | None = Field(default=None, max_length=300)
