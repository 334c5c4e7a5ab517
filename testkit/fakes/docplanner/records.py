"""What the fake Docplanner holds: a doctor's address (a calendar with its address
services) and a booking there, with what Docplanner tells about it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FACILITY = "1001"


@dataclass
class FakeAddress:
    facility: str
    doctor: str
    address: str
    name: str  # the doctor's "name surname"
    services: dict[str, str] = field(default_factory=dict)  # address_service_id → service_id

    @property
    def id(self) -> str:
        return f"{self.facility}/{self.doctor}/{self.address}"


@dataclass
class FakeBooking:
    id: str
    address: FakeAddress
    start: datetime
    end: datetime
    address_service_id: str
    patient: dict[str, Any]
    status: str = "booked"  # booked, cancelled, moved; pending while a portal request waits
    source: str = "integration"  # or "patient": made on the portal
    booked_at: datetime | None = None
    canceled_at: datetime | None = None
    canceled_by: str = ""  # "", user, doctor, integration
    comment: str | None = None
    signature: str = field(default_factory=lambda: str(uuid.uuid4()))
    origin: str = ""  # the first booking of a chain of moves
    newest: str = ""  # the last one

    @property
    def ref(self) -> str:
        return f"{self.address.id}/{self.id}"

    @property
    def duration(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def booked_by(self) -> str:
        return "user" if self.source == "patient" else "integration"

    @property
    def wire_status(self) -> str:
        """Docplanner knows booked and canceled; a moved booking is a canceled one."""
        return "booked" if self.status in ("booked", "pending") else "canceled"
