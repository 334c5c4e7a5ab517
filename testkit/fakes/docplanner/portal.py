"""The portal side of the fake Docplanner: its calendars and bookings, what the tests set
up and control, and what patients do on ZnanyLekarz (book, cancel, move), each queued as
the notification Docplanner would send."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.clock import Clock

FACILITY = "1001"


@dataclass
class FakeAddress:
    facility: str
    doctor: str
    address: str
    name: str
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
    status: str = "booked"  # booked, cancelled, moved
    source: str = "integration"  # or "patient": booked on the portal

    @property
    def ref(self) -> str:
        return f"{self.address.id}/{self.id}"


class Portal:
    """The fake's state, and the portal's events; the server (`FakeDocplanner`) serves it."""

    def __init__(self, clock: Clock, *, writes_per_minute: int = 10_000) -> None:
        self.clock = clock
        self.writes_per_minute = writes_per_minute
        self.addresses: dict[str, FakeAddress] = {}
        self.dictionary: dict[str, str] = {}  # service_id → name
        self.slots: dict[tuple[str, date], list[tuple[datetime, datetime]]] = {}
        self.bookings: dict[str, FakeBooking] = {}
        self.notifications: deque[dict[str, Any]] = deque()
        self.tokens: set[str] = set()
        self.down = False
        self.delay = 0.0
        self.requests: list[tuple[str, str]] = []
        self._failures: deque[tuple[int, float | None]] = deque()
        self._writes: deque[float] = deque()
        self._ids = itertools.count(5001)
        self.url = ""

    # -- set-up and control ----------------------------------------------------------

    def add_address(self, doctor: str, address: str, name: str, services: dict[str, str]) -> str:
        """A doctor's calendar with its address services; its path `facility/doctor/address`."""
        found = FakeAddress(FACILITY, doctor, address, name, dict(services))
        self.addresses[found.id] = found
        return found.id

    def fail_next(self, status: int, n: int = 1, *, retry_after: float | None = None) -> None:
        self._failures.extend([(status, retry_after)] * n)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def active(self) -> list[FakeBooking]:
        return [b for b in self.bookings.values() if b.status == "booked"]

    def patient_books(
        self, address_id: str, start: datetime, service_id: str, patient: dict[str, Any]
    ) -> dict[str, Any]:
        """A patient books on the portal: the booking, and its `slot-booked` notification
        (queued for pulling, and returned for pushing)."""
        address = self.addresses[address_id]
        address_service = next(a for a, s in address.services.items() if s == service_id)
        booking = FakeBooking(
            str(next(self._ids)),
            address,
            start,
            start + timedelta(minutes=15),
            address_service,
            patient,
            source="patient",
        )
        self.bookings[booking.id] = booking
        return self._notify("slot-booked", booking)

    def patient_cancels(self, booking_id: str) -> dict[str, Any]:
        booking = self.bookings[booking_id]
        booking.status = "cancelled"
        return self._notify("booking-canceled", booking)

    def patient_moves(self, booking_id: str, start: datetime) -> dict[str, Any]:
        old = self.bookings[booking_id]
        old.status = "moved"
        new = FakeBooking(
            str(next(self._ids)),
            old.address,
            start,
            start + (old.end - old.start),
            old.address_service_id,
            old.patient,
            source="patient",
        )
        self.bookings[new.id] = new
        raw = {
            "name": "booking-moved",
            "created_at": self.clock.now().isoformat(),
            "data": {
                **self._where(new.address),
                "old_visit_booking": {"id": old.id, "start_at": old.start.isoformat()},
                "new_visit_booking": {"id": new.id, "start_at": new.start.isoformat()},
            },
        }
        self.notifications.append(raw)
        return raw

    def slot_booking_request(
        self, address_id: str, start: datetime, service_id: str, patient: dict[str, Any]
    ) -> dict[str, Any]:
        """The blocking `slot-booking` event a portal booking sends before it is made."""
        address = self.addresses[address_id]
        address_service = next(a for a, s in address.services.items() if s == service_id)
        booking = FakeBooking(
            str(next(self._ids)), address, start, start + timedelta(minutes=15), address_service,
            patient, status="pending", source="patient",
        )  # fmt: skip
        self.bookings[booking.id] = booking
        return self._payload("slot-booking", booking)

    def complete_booking(self, booking_id: str) -> dict[str, Any]:
        """The portal makes the booking it asked about (`slot-booking` approved)."""
        booking = self.bookings[booking_id]
        booking.status = "booked"
        return self._notify("slot-booked", booking)

    def _where(self, address: FakeAddress) -> dict[str, Any]:
        return {
            "facility": {"id": address.facility},
            "doctor": {"id": address.doctor},
            "address": {"id": address.address},
        }

    def _payload(self, name: str, booking: FakeBooking) -> dict[str, Any]:
        return {
            "name": name,
            "created_at": self.clock.now().isoformat(),
            "data": {
                **self._where(booking.address),
                "visit_booking": {
                    "id": booking.id,
                    "start_at": booking.start.isoformat(),
                    "end_at": booking.end.isoformat(),
                    "patient": booking.patient,
                    "address_service": {
                        "id": booking.address_service_id,
                        "service_id": booking.address.services[booking.address_service_id],
                    },
                },
            },
        }

    def _notify(self, name: str, booking: FakeBooking) -> dict[str, Any]:
        raw = self._payload(name, booking)
        self.notifications.append(raw)
        return raw
