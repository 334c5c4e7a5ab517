"""Reminder rules a clinic configures, and the notifications they produce: one row per
message to send, made at most once by its unique key, claimed by one worker at a time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from core.models._columns import enum, optional_enum, utc
from core.vocab import (
    BookingStatus,
    Channel,
    CommunicationStatus,
    DoubtOutcome,
    NotificationStatus,
    PatientEvent,
    RuleKind,
)


class ReminderRule(SQLModel, table=True):
    __tablename__ = "reminder_rule"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: RuleKind = enum(RuleKind)
    enabled: bool = True
    days: int = 0  # DAYS_BEFORE, AFTER_SERVICE, BIRTHDAY (0: on the day)
    minutes: int = 0  # MINUTES_BEFORE, AFTER_STATUS
    at_local: time | None = None  # DAYS_BEFORE, BIRTHDAY: the branch's (or clinic's) local time
    same_day_only: bool = False  # MINUTES_BEFORE: only for visits booked on the visit's day
    status: BookingStatus | None = optional_enum(BookingStatus)  # AFTER_STATUS
    service_ids: list[int] = Field(default_factory=list, sa_type=JSON)  # AFTER_SERVICE
    event: PatientEvent | None = optional_enum(PatientEvent)  # EVENT
    templates: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # language -> jinja2
    sets_status: CommunicationStatus | None = optional_enum(CommunicationStatus)
    with_actions: bool = False  # confirm / move / cancel under the message
    created_at: datetime = utc()


class Notification(SQLModel, table=True):
    """One message to one patient. `key` names what it is about, so planning it twice,
    from any number of workers, makes one row; `status` moves forward only."""

    __table_args__ = (
        Index("ix_notification_status_due", "status", "due_at"),
        Index("ix_notification_sent_to", "sent_to", "sent_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    rule_id: int | None = Field(default=None, foreign_key="reminder_rule.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    to_channel: Channel | None = optional_enum(Channel)  # a chat, not a card (staff replies)
    to_address: str | None = Field(default=None, max_length=64)
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    visit_start: datetime | None = utc(nullable=True)  # the visit's time when planned
    topic: str = Field(max_length=32)  # "reminder", "waitlist_offer", "escalation_reply"
    subject_id: int | None = None  # the offer or the staff message it carries
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    due_at: datetime = utc()
    expires_at: datetime | None = utc(nullable=True)  # not sent after this (offers)
    status: NotificationStatus = enum(NotificationStatus, default=NotificationStatus.PENDING)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc(nullable=True)
    channel: Channel | None = optional_enum(Channel)  # the one that took it
    provider_id: str | None = Field(default=None, max_length=64)
    sent_to: str | None = Field(default=None, max_length=64)  # the address that took it
    error: str | None = Field(default=None, max_length=300)  # codes and reasons, no content
    doubt: DoubtOutcome | None = optional_enum(DoubtOutcome)  # how an in_doubt row was settled
    sent_at: datetime | None = utc(nullable=True)
    created_at: datetime = utc()
    cause: str | None = Field(default=None, max_length=64)  # the request's id, for the logs
