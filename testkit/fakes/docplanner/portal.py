"""The portal side of the fake Docplanner: its calendars and bookings, what the tests set
up and control, and what patients do on ZnanyLekarz (book, ask to book, cancel, move, ask
to move, confirm): each event is queued as the notification Docplanner would send, shown
to the observers, and returned for a test to push."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from core.clock import Clock
from testkit.fakes.docplanner import bodies
from testkit.fakes.docplanner.calendar import Calendar, local, wire
from testkit.fakes.docplanner.records import FACILITY, FakeAddress, FakeBooking
from testkit.fakes.docplanner.wire import Observer, watchers

# What a portal patient gives when a test leaves it out: the document's `Patient` requires
# a name and a phone.
PORTAL_PATIENT = {"name": "Jan", "phone": "+48500100200"}
DEFAULT_MINUTES = 15


class Portal:
    """The fake's state, and the portal's events; the server (`FakeDocplanner`) serves it."""

    def __init__(
        self, clock: Clock, *, writes_per_minute: int = 40, observers: Iterable[Observer] = ()
    ) -> None:
        self.clock = clock
        self.writes_per_minute = writes_per_minute
        self.reads_per_hour = 8000
        self.observers: list[Observer] = [*watchers, *observers]
        self.addresses: dict[str, FakeAddress] = {}
        self.dictionary: dict[str, str] = {}  # service_id → name
        self.calendars: dict[str, Calendar] = {}
        self.bookings: dict[str, FakeBooking] = {}
        self.notifications: deque[dict[str, Any]] = deque()
        self.tokens: dict[str, datetime] = {}  # token → when it expires
        self.down = False
        self.delay = 0.0
        self.slot_processing = 0.0  # seconds a `PUT .../slots` takes (a duplicate meanwhile: 429)
        self.pushing = True  # pushes configured: `POST /notifications/release` allowed
        self.requests: list[tuple[str, str]] = []
        self.url = ""
        self._failures: deque[tuple[int, float | None]] = deque()
        self._ids = itertools.count(5001)
        self._moves: dict[str, tuple[str, datetime]] = {}  # signature → (booking, new start)

    # -- set-up and control ----------------------------------------------------------

    def add_address(self, doctor: str, address: str, name: str, services: dict[str, str]) -> str:
        """A doctor's calendar with its address services (address_service_id →
        dictionary service_id); its path `facility/doctor/address`."""
        found = FakeAddress(FACILITY, doctor, address, name, dict(services))
        self.addresses[found.id] = found
        self.calendars[found.id] = Calendar()
        return found.id

    def fail_next(self, status: int, n: int = 1, *, retry_after: float | None = None) -> None:
        self._failures.extend([(status, retry_after)] * n)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def active(self) -> list[FakeBooking]:
        return [b for b in self.bookings.values() if b.status == "booked"]

    @property
    def slots(self) -> dict[tuple[str, date], list[tuple[datetime, datetime]]]:
        """The published work periods per (address, local day), as (start, end) pairs."""
        return {
            (address_id, day): list(periods)
            for address_id, calendar in self.calendars.items()
            for day, periods in calendar.days.items()
        }

    def service_name(self, found: FakeAddress, address_service_id: str) -> str:
        service_id = found.services[address_service_id]
        return self.dictionary.get(service_id, f"Usługa {service_id}")

    # -- what patients do on the portal ------------------------------------------------

    def patient_books(
        self, address_id: str, start: datetime, service_id: str, patient: dict[str, Any]
    ) -> dict[str, Any]:
        """A patient books on the portal: the booking and its `slot-booked`."""
        booking = self._portal_booking(address_id, start, service_id, patient, "booked")
        return self._visit("slot-booked", booking)

    def slot_booking_request(
        self, address_id: str, start: datetime, service_id: str, patient: dict[str, Any]
    ) -> dict[str, Any]:
        """The blocking `slot-booking` a portal booking sends before it is made (no booking
        id yet; `complete_booking(signature)` makes it)."""
        booking = self._portal_booking(address_id, start, service_id, patient, "pending")
        name = self.service_name(booking.address, booking.address_service_id)
        return self._emit(
            bodies.notification(
                "slot-booking",
                booking.address,
                self._now(),
                visit_booking_request=bodies.request_notified(booking, name),
            )
        )

    def patient_cancels(self, booking_id: str) -> dict[str, Any]:
        booking = self.bookings[booking_id]
        self._end(booking, "cancelled")
        return self._visit("booking-canceled", booking)

    def patient_moves(self, booking_id: str, start: datetime) -> dict[str, Any]:
        """A patient moves a booking: a NEW booking, and `booking-moved` with both."""
        old = self.bookings[booking_id]
        new = self._moved(old, start)
        return self._moved_body(old, new)

    def patient_moving(self, booking_id: str, start: datetime) -> dict[str, Any]:
        """The blocking `booking-moving` a portal move sends before it is made
        (`complete_booking(signature)` makes it)."""
        old = self.bookings[booking_id]
        creating = FakeBooking(
            "", old.address, local(start), local(start) + (old.end - old.start),
            old.address_service_id, old.patient, status="pending", source="patient",
            booked_at=self.clock.now(),
        )  # fmt: skip
        self._moves[creating.signature] = (old.id, creating.start)
        name = self.service_name(old.address, old.address_service_id)
        return self._emit(
            bodies.notification(
                "booking-moving",
                old.address,
                self._now(),
                canceling_booking=bodies.booking_notified(old, name),
                creating_booking=bodies.request_notified(creating, name),
            )
        )

    def complete_booking(self, key: str) -> dict[str, Any]:
        """The portal makes what it asked about, by the request's signature (or a pending
        booking's id): a `slot-booked` with the same signature, or the `booking-moved`."""
        if key in self._moves:
            booking_id, start = self._moves.pop(key)
            old = self.bookings[booking_id]
            return self._moved_body(old, self._moved(old, start))
        booking = self.bookings.get(key) or next(
            b for b in self.bookings.values() if b.signature == key and b.status == "pending"
        )
        booking.status = "booked"
        return self._visit("slot-booked", booking)

    def patient_confirms(self, booking_id: str) -> dict[str, Any]:
        return self._visit("booking-confirmed", self.bookings[booking_id])

    # -- the bookings' life ------------------------------------------------------------

    def new_id(self) -> str:
        return str(next(self._ids))

    def _end(self, booking: FakeBooking, status: str, by: str = "user") -> None:
        booking.status = status
        booking.canceled_by = by
        booking.canceled_at = self.clock.now()

    def _moved(
        self,
        old: FakeBooking,
        start: datetime,
        by: str = "user",
        to: tuple[FakeAddress, datetime, str] | None = None,
    ) -> FakeBooking:
        """The old booking ends as moved; a NEW one (same length, address and service
        unless `to` gives the address, end and address service) takes its place."""
        self._end(old, "moved", by)
        address, end, service = to or (
            old.address,
            local(start) + (old.end - old.start),
            old.address_service_id,
        )
        new = FakeBooking(
            self.new_id(), address, local(start), end, service, old.patient, source=old.source,
            booked_at=self.clock.now(), comment=old.comment, origin=old.origin or old.id,
        )  # fmt: skip
        new.newest = new.id
        for booking in self.bookings.values():
            if booking.origin == new.origin:
                booking.newest = new.id
        self.bookings[new.id] = new
        return new

    def _portal_booking(
        self,
        address_id: str,
        start: datetime,
        service_id: str,
        patient: dict[str, Any],
        status: str,
    ) -> FakeBooking:
        found = self.addresses[address_id]
        address_service = next(a for a, s in found.services.items() if s == service_id)
        offered = self.calendars[address_id].offering(local(start)) or {}
        minutes = offered.get(address_service, DEFAULT_MINUTES)
        booking = FakeBooking(
            self.new_id(), found, local(start), local(start) + timedelta(minutes=minutes),
            address_service, {**PORTAL_PATIENT, **patient}, status=status, source="patient",
            booked_at=self.clock.now(),
        )  # fmt: skip
        booking.origin = booking.newest = booking.id
        self.bookings[booking.id] = booking
        return booking

    # -- notifications -----------------------------------------------------------------

    def _now(self) -> str:
        return wire(self.clock.now())

    def _visit(self, name: str, booking: FakeBooking) -> dict[str, Any]:
        service = self.service_name(booking.address, booking.address_service_id)
        return self._emit(
            bodies.notification(
                name,
                booking.address,
                self._now(),
                visit_booking=bodies.booking_notified(booking, service),
            )
        )

    def _moved_body(self, old: FakeBooking, new: FakeBooking) -> dict[str, Any]:
        name = self.service_name(old.address, old.address_service_id)
        return self._emit(
            bodies.notification(
                "booking-moved",
                new.address,
                self._now(),
                old_visit_booking=bodies.booking_notified(old, name),
                new_visit_booking=bodies.booking_notified(new, name),
            )
        )

    def _emit(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queued for pulling, shown to the observers, returned for pushing."""
        self.notifications.append(body)
        for observer in self.observers:
            observer.notification(body)
        return body
