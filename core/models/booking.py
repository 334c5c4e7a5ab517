"""Holds, bookings, the occupancy that keeps them apart, their history and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._columns import enum, utc
from core.vocab import ActorKind, BookingStatus, Channel, CommunicationStatus, EventKind


class Hold(SQLModel, table=True):
    """A slot kept for one conversation while the patient confirms (IHE find-hold-book)."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    doctor_id: int = Field(foreign_key="doctor.id")
    branch_id: int = Field(foreign_key="branch.id")
    room_id: int | None = Field(default=None, foreign_key="room.id")
    service_id: int = Field(foreign_key="service.id")
    start_at: datetime = utc()
    end_at: datetime = utc()
    channel: Channel = enum(Channel)
    expires_at: datetime = utc(index=True)


class Booking(SQLModel, table=True):
    __table_args__ = (
        Index("ix_booking_doctor_start", "doctor_id", "start_at"),
        Index("ix_booking_patient_start", "patient_id", "start_at"),
        # NULLs never collide: only guarded visits (`service_guard` true) are one a pair.
        UniqueConstraint(
            "patient_id", "service_id", "service_guard", name="uq_booking_one_per_service"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    service_id: int = Field(foreign_key="service.id", index=True)
    doctor_id: int = Field(foreign_key="doctor.id")
    branch_id: int = Field(foreign_key="branch.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    start_at: datetime = utc(index=True)
    end_at: datetime = utc()
    status: BookingStatus = enum(BookingStatus, default=BookingStatus.BOOKED, index=True)
    source: Channel = enum(Channel)
    communication_status: CommunicationStatus = enum(
        CommunicationStatus, default=CommunicationStatus.NONE
    )
    referral: str | None = Field(default=None, max_length=100)
    e_referral: str | None = Field(default=None, max_length=44)  # core/booking/ereferral.py
    # True while the visit is the patient's one booking of its service (the clinic's
    # guard on, the visit active and not over); NULL otherwise: core/booking/guard.py.
    service_guard: bool | None = None
    cancel_reason: str | None = Field(default=None, max_length=500)
    cancelled_at: datetime | None = utc(nullable=True)
    created_at: datetime = utc()
    updated_at: datetime = utc()


class Occupancy(SQLModel, table=True):
    """One 5-minute cell of a doctor's or a room's time, taken by a booking or a hold.

    The unique constraint is the guarantee that no two bookings overlap,
    whatever their durations and whichever process writes them. A hold's
    cells carry `expires_at`; an expired cell counts as free and is replaced.
    """

    __table_args__ = (
        UniqueConstraint("resource_kind", "resource_id", "cell_at", name="uq_occupancy_cell"),
        CheckConstraint("(booking_id IS NULL) <> (hold_id IS NULL)", name="one_owner"),
    )
    id: int | None = Field(default=None, primary_key=True)
    resource_kind: str = Field(max_length=1)  # "D" doctor, "R" room
    resource_id: int
    cell_at: datetime = utc()
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    hold_id: int | None = Field(default=None, foreign_key="hold.id", index=True)
    expires_at: datetime | None = utc(nullable=True)


class BookingChange(SQLModel, table=True):
    """The change history: who changed a booking, when, through what, and what changed."""

    __tablename__ = "booking_change"
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    at: datetime = utc()
    actor_kind: ActorKind = enum(ActorKind)
    actor: str = Field(max_length=100)  # staff login, partner name, patient id, "system"
    channel: Channel = enum(Channel)
    action: str = Field(max_length=32)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class OutboxEvent(SQLModel, table=True):
    """A domain event, written in the transaction that caused it, for consumers to deliver."""

    __tablename__ = "outbox_event"
    id: int | None = Field(default=None, primary_key=True)
    kind: EventKind = enum(EventKind, index=True)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = utc()
    published_at: datetime | None = utc(nullable=True, index=True)
    cause: str | None = Field(default=None, max_length=64)  # the request's id, for the logs
