"""The ids our FHIR resources carry, and reading them back.

A slot's id is the SMART feed's (core/schedule/feed.py). An appointment is one of
three: proposed by `$find` ("p-<service>-<slot id>", nothing stored: the id says what
to hold or book), held ("hold-<token>", the hold's secret token with `_` written `.`,
FHIR ids allow no `_`), or booked (the booking's number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from core.schedule.feed import parse_slot_id, slot_id

_PROPOSED = re.compile(r"p-(\d{1,9})-(.+)")
_HELD = re.compile(r"hold-([A-Za-z0-9.\-]{1,58})")
_BOOKED = re.compile(r"[1-9]\d{0,8}")  # a database integer, never past 32 bits


@dataclass(frozen=True)
class Proposed:
    service_id: int
    doctor_id: int
    branch_id: int
    start_at: datetime

    @property
    def id(self) -> str:
        return f"p-{self.service_id}-{slot_id(self.doctor_id, self.branch_id, self.start_at)}"


@dataclass(frozen=True)
class Held:
    token: str

    @property
    def id(self) -> str:
        return "hold-" + self.token.replace("_", ".")


@dataclass(frozen=True)
class Booked:
    booking_id: int

    @property
    def id(self) -> str:
        return str(self.booking_id)


AppointmentId = Proposed | Held | Booked


def appointment_id(text: str) -> AppointmentId | None:
    """What an appointment's id names; None for anything we never gave out."""
    if (booked := _BOOKED.fullmatch(text)) is not None:
        return Booked(int(booked[0]))
    if (held := _HELD.fullmatch(text)) is not None:
        return Held(held[1].replace(".", "_"))
    if (proposed := _PROPOSED.fullmatch(text)) is not None:
        slot = parse_slot_id(proposed[2])
        if slot is not None:
            return Proposed(int(proposed[1]), *slot)
    return None


def schedule_id(doctor_id: int, branch_id: int) -> str:
    """A doctor at a branch: the SMART feed's Schedule id."""
    return f"{doctor_id}-{branch_id}"
