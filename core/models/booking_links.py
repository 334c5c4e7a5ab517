"""Single-use booking links and the recall campaigns that send many of them.

A link is stored, never its token: the token is the row's id signed with the server's
secret and the row's salt (`core.messaging.booking_links`). `used_at` is set by one
conditional UPDATE in the transaction that books, so a link books at most once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.models._columns import enum, utc
from core.vocab import LinkOrigin


class RecallCampaign(SQLModel, table=True):
    """Links sent to a list of patients at once (a search result or an uploaded file)."""

    __tablename__ = "recall_campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    created_by: str = Field(max_length=100)
    created_at: datetime = utc()


class BookingLink(SQLModel, table=True):
    __tablename__ = "booking_link"
    id: int | None = Field(default=None, primary_key=True)
    salt: str = Field(max_length=32)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    phone: str | None = Field(default=None, max_length=64)  # sent to, when no card is known
    language: str = Field(default="pl", max_length=5)
    service_ids: list[int] = Field(default_factory=list, sa_type=JSON)  # empty: any service
    doctor_ids: list[int] = Field(default_factory=list, sa_type=JSON)  # empty: any doctor
    moves_booking_id: int | None = Field(default=None, foreign_key="booking.id")
    origin: LinkOrigin = enum(LinkOrigin)
    origin_id: int | None = None  # the callback, case or call it was sent from
    campaign_id: int | None = Field(default=None, foreign_key="recall_campaign.id", index=True)
    created_by: str = Field(max_length=100)
    created_at: datetime = utc()
    expires_at: datetime = utc()
    used_at: datetime | None = utc(nullable=True)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", unique=True)
