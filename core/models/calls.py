"""Phone calls: where each call stands (so any process takes its next step), what it led
to, and the work it leaves for the desk (callbacks to make, tasks to do)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from core.models._columns import enum, optional_enum, utc
from core.vocab import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallOutcome,
    TaskKind,
    TaskStatus,
)

NOTE_CHARS = 500


class Call(SQLModel, table=True):
    """One call by its Twilio CallSid: the menu's state between webhooks, and its record."""

    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True)
    caller: str = Field(max_length=32)  # E.164 as Twilio gives it, or "anonymous"
    called: str = Field(max_length=32)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    language: str = Field(default="pl", max_length=5)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = 0  # optimistic lock: a step saves only over the state it loaded
    path: list[str] = Field(default_factory=list, sa_type=JSON)  # the steps heard, in order
    outcome: CallOutcome | None = optional_enum(CallOutcome)
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    started_at: datetime = utc(index=True)
    updated_at: datetime = utc()
    ended_at: datetime | None = utc(nullable=True)
    duration_seconds: int | None = None


class CallbackRequest(SQLModel, table=True):
    """A number the desk should call back. While one is open for a number, further calls
    from it add to `calls` instead of opening another: `open_phone` holds the number only
    while open, and its unique constraint makes the merge atomic."""

    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_request_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=32, index=True)
    open_phone: str | None = Field(default=None, max_length=32, unique=True)
    reason: CallbackReason = enum(CallbackReason)
    language: str = Field(default="pl", max_length=5)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    call_sid: str = Field(max_length=64)  # the latest call that asked
    calls: int = 1
    status: CallbackStatus = enum(CallbackStatus, default=CallbackStatus.OPEN)
    created_at: datetime = utc()
    updated_at: datetime = utc()
    # The member calling back: set once, by a conditional update (`core.desk.work`).
    taken_by: str | None = Field(default=None, max_length=100)
    taken_at: datetime | None = utc(nullable=True)
    outcome: CallbackOutcome | None = optional_enum(CallbackOutcome)
    note: str | None = Field(default=None, max_length=NOTE_CHARS)
    closed_at: datetime | None = utc(nullable=True)
    closed_by: str | None = Field(default=None, max_length=100)
    # Calls back that found nobody; the request waits until `retry_at` before the next.
    attempts: int = 0
    retry_at: datetime | None = utc(nullable=True)


class StaffTask(SQLModel, table=True):
    """Something a caller left for the staff: a prescription to renew, a card to complete."""

    __tablename__ = "staff_task"
    __table_args__ = (Index("ix_staff_task_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: TaskKind = enum(TaskKind)
    status: TaskStatus = enum(TaskStatus, default=TaskStatus.OPEN)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")  # the branch called
    phone: str | None = Field(default=None, max_length=32)
    call_sid: str | None = Field(default=None, max_length=64)
    language: str = Field(default="pl", max_length=5)
    # What the caller said or left: {"transcript": ...} or {"recording_url": ...}.
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = utc()
    taken_by: str | None = Field(default=None, max_length=100)
    taken_at: datetime | None = utc(nullable=True)
    note: str | None = Field(default=None, max_length=NOTE_CHARS)
    closed_at: datetime | None = utc(nullable=True)
    closed_by: str | None = Field(default=None, max_length=100)
