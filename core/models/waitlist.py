"""The waiting list: patients waiting for a doctor or service, and the offers made to them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._columns import enum, utc
from core.vocab import Channel, OfferStatus, WaitlistStatus


class WaitlistEntry(SQLModel, table=True):
    """A patient waiting for a doctor or a service, optionally within days and hours."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    doctor_id: int | None = Field(default=None, foreign_key="doctor.id")
    service_id: int | None = Field(default=None, foreign_key="service.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    earliest: date | None = None
    latest: date | None = None
    time_from: time | None = None  # local time of day window
    time_to: time | None = None
    channel: Channel = enum(Channel)
    status: WaitlistStatus = enum(WaitlistStatus, default=WaitlistStatus.WAITING)
    auto_book: bool = False  # a matching freed time is booked at once, the patient told
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    created_at: datetime = utc()


class WaitlistOffer(SQLModel, table=True):
    """A freed slot offered to one waiting patient; the first acceptance wins."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (
        UniqueConstraint("entry_id", "doctor_id", "start_at", name="uq_offer_entry_slot"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="waitlist_entry.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    doctor_id: int = Field(foreign_key="doctor.id")
    branch_id: int = Field(foreign_key="branch.id")
    room_id: int | None = Field(default=None, foreign_key="room.id")
    hold_token: str = Field(max_length=64, index=True)  # the hold keeping the time for the offer
    start_at: datetime = utc()
    end_at: datetime = utc()
    status: OfferStatus = enum(OfferStatus, default=OfferStatus.OPEN)
    expires_at: datetime = utc(index=True)
    told_at: datetime | None = utc(nullable=True)  # when the patient can be told (quiet hours)
    auto: bool = False  # booked at once for a patient who opted in (accepted when made)
    created_at: datetime = utc()
