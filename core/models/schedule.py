"""Weekly templates, breaks and absences, and the slots generated from them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from core.models._columns import utc


class ScheduleTemplate(SQLModel, table=True):
    """A doctor's weekly working period at a branch, cut into slots of `slot_minutes`."""

    __tablename__ = "schedule_template"
    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="doctor.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    weekday: int = Field(ge=0, le=6)  # Monday = 0, in the branch's local calendar
    start_time: time
    end_time: time
    slot_minutes: int = 15
    valid_from: date
    valid_until: date | None = None
    availability: int  # core.vocab.Availability bits


class ScheduleBreak(SQLModel, table=True):
    """A pause inside a template's period (local wall-clock times)."""

    __tablename__ = "schedule_break"
    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="schedule_template.id", index=True)
    start_time: time
    end_time: time


class Absence(SQLModel, table=True):
    """A doctor away (leave, training): slots inside it are not generated."""

    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="doctor.id", index=True)
    start_at: datetime = utc()
    end_at: datetime = utc()
    reason: str = Field(default="", max_length=200)


class Slot(SQLModel, table=True):
    """A bookable period of a doctor's time, authored here and published to partners.

    Whether it is free is the occupancy table's to say. `start_booked` mirrors one fact
    of it, kept by the database's triggers (migration 0019): a booking holds the
    doctor's cell at the slot's start, so no visit can start here. The search walks the
    slots where it is false through their own index and probes only those.
    """

    __table_args__ = (
        UniqueConstraint("doctor_id", "start_at", name="uq_slot_doctor_start"),
        Index("ix_slot_start_doctor", "start_at", "doctor_id"),
        # A branch's search walks its slots by time: without the time here, the
        # planner reads every slot of the branch and sorts them.
        Index("ix_slot_branch_start", "branch_id", "start_at"),
        Index(
            "ix_slot_doctor_start_open",
            "doctor_id",
            "start_at",
            postgresql_where=text("NOT start_booked"),
            sqlite_where=text("start_booked = 0"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    doctor_id: int = Field(foreign_key="doctor.id")
    branch_id: int = Field(foreign_key="branch.id")
    room_id: int | None = Field(default=None, foreign_key="room.id")
    template_id: int | None = Field(default=None, foreign_key="schedule_template.id", index=True)
    start_at: datetime = utc()
    end_at: datetime = utc()
    availability: int
    start_booked: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ScheduleConflict(SQLModel, table=True):
    """A booked slot that a regenerated schedule no longer contains: staff must decide."""

    __tablename__ = "schedule_conflict"
    __table_args__ = (UniqueConstraint("booking_id", "start_at", name="uq_conflict_booking"),)
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    doctor_id: int = Field(foreign_key="doctor.id")
    start_at: datetime = utc()
    detected_at: datetime = utc()
    resolved: bool = False
