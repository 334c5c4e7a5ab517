"""Conversations with patients: their saved state, inbound dedupe, escalations to staff,
linking codes and the throttles that keep codes from being guessed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._columns import enum, utc
from core.vocab import Channel, EscalationStatus


class Conversation(SQLModel, table=True):
    """One chat's dialog state, so any server process can take the next message."""

    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_conversation_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    chat_id: str = Field(max_length=64)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = 0  # optimistic lock: a save must see the version it loaded
    last_inbound_at: datetime | None = utc(nullable=True)
    updated_at: datetime = utc()


class ChatTurn(SQLModel, table=True):
    """The turn of a chat being answered, by one process at a time: a double tap that
    lands on two processes waits for the first answer (the lease ends a lost one)."""

    __tablename__ = "chat_turn"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_chat_turn_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    chat_id: str = Field(max_length=64)
    owner: str = Field(max_length=32)
    until: datetime = utc()


class PrivacyNotice(SQLModel, table=True):
    """When a chat was shown the information notice, before its first personal question
    (once per chat; the record that the patient was told)."""

    __tablename__ = "privacy_notice"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_privacy_notice_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    chat_id: str = Field(max_length=64)
    shown_at: datetime = utc()


class InboundMessage(SQLModel, table=True):
    """A platform delivery already handled (Telegram update_id, Twilio MessageSid)."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_inbound_external"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    external_id: str = Field(max_length=64)
    received_at: datetime = utc(index=True)


class Escalation(SQLModel, table=True):
    """A conversation handed to the desk, with its transcript."""

    __table_args__ = (Index("ix_escalation_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    chat_id: str = Field(max_length=64)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    # The branch whose desk answers: the chat's last visit's, else the one the patient chose;
    # None: any registrar's.
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    language: str = Field(default="pl", max_length=5)
    reason: str = Field(max_length=32)  # "asked" or "not_understood"
    status: EscalationStatus = enum(EscalationStatus, default=EscalationStatus.OPEN)
    taken_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = utc()
    closed_at: datetime | None = utc(nullable=True)


class EscalationMessage(SQLModel, table=True):
    __tablename__ = "escalation_message"
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    at: datetime = utc()
    author: str = Field(max_length=16)  # "patient", "bot" or "staff"
    staff_login: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=4096)


class LinkCode(SQLModel, table=True):
    """A 9-digit code that binds a chat to a patient's card; stored only as a keyed hash."""

    __tablename__ = "link_code"
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc()
    expires_at: datetime = utc()
    used_at: datetime | None = utc(nullable=True)


class Throttle(SQLModel, table=True):
    """A fixed-window counter per scope ("link:telegram:42", "card:7"), bumped atomically."""

    scope: str = Field(max_length=120, primary_key=True)
    window_start: datetime = utc()
    count: int = 0


class MessagingConsent(SQLModel, table=True):
    """A patient's STOP or START for an address on a channel, as said and when: the newest
    row of an address is what holds. Kept, never updated, so the history stays."""

    __tablename__ = "messaging_consent"
    __table_args__ = (Index("ix_consent_address", "channel", "address", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: Channel = enum(Channel)
    address: str = Field(max_length=64)
    stopped: bool
    keyword: str = Field(max_length=16)  # the word the patient sent, folded
    at: datetime = utc()
