"""The JSON the fake Docplanner writes, shaped by the published document's schemas
(tests/partners/contract/docplanner-integrations-1.14.yml): facilities, doctors, addresses,
address services, bookings, and the notifications pushed or pulled."""

from __future__ import annotations

from typing import Any

from testkit.fakes.docplanner.calendar import wire
from testkit.fakes.docplanner.records import FakeAddress, FakeBooking

FACILITY_NAME = "Przychodnia Testowa"
PRICE = 150


def facility(address: FakeAddress) -> dict[str, Any]:
    return {"id": address.facility, "name": FACILITY_NAME}


def doctor(address: FakeAddress) -> dict[str, Any]:
    name, _, surname = address.name.partition(" ")
    return {"id": address.doctor, "name": name, "surname": surname}


def address(found: FakeAddress) -> dict[str, Any]:
    """The `Address` schema (the document's booking_extra_fields left out: not asked)."""
    return {
        "id": found.address,
        "name": f"Gabinet {found.address}",
        "city_name": "Warszawa",
        "post_code": "00-001",
        "street": "ul. Testowa 1",
    }


def address_service(found: FakeAddress, address_service_id: str, name: str) -> dict[str, Any]:
    """The `AddressService` schema: the address's own service, and the dictionary's id."""
    return {
        "id": address_service_id,
        "name": name,
        "price": PRICE,
        "is_price_from": False,
        "is_default": False,
        "service_id": found.services[address_service_id],
        "description": None,
        "is_visible": True,
    }


def booking(
    found: FakeBooking, name: str, *, patient: bool, service: bool, moving: bool = False
) -> dict[str, Any]:
    """The `Booking` schema, with the relations asked for (`with=`)."""
    body: dict[str, Any] = {
        "id": found.id,
        "status": found.wire_status,
        "start_at": wire(found.start),
        "end_at": wire(found.end),
        "duration": found.duration,
        "booked_by": found.booked_by,
        "canceled_by": found.canceled_by,
        "booked_at": wire(found.booked_at or found.start),
        "canceled_at": wire(found.canceled_at) if found.canceled_at else None,
        "comment": found.comment,
    }
    if patient:
        body["patient"] = {**found.patient, "is_returning": False}
    if service:
        body["address_service"] = address_service(found.address, found.address_service_id, name)
    if moving:
        body["moving"] = {"origin_booking_id": found.origin, "newest_booking_id": found.newest}
    return body


def service_notified(found: FakeBooking, name: str) -> dict[str, Any]:
    """The `AddressServiceNotification` schema: the address service's OWN id, no service_id."""
    return {
        "id": found.address_service_id,
        "name": name,
        "price": PRICE,
        "is_price_from": False,
        "is_visible": True,
    }


def booking_notified(found: FakeBooking, name: str) -> dict[str, Any]:
    """The `BookingNotification` schema (`visit_booking`, `old_visit_booking`, ...)."""
    body: dict[str, Any] = {
        "id": found.id,
        "status": found.wire_status,
        "start_at": wire(found.start),
        "end_at": wire(found.end),
        "duration": found.duration,
        "booked_by": found.booked_by,
        "canceled_by": found.canceled_by,
        "booked_at": wire(found.booked_at or found.start),
        "canceled_at": wire(found.canceled_at) if found.canceled_at else None,
        "address_service": service_notified(found, name),
        "patient": dict(found.patient),
        "signature": found.signature,
    }
    if found.comment is not None:
        body["comment"] = found.comment
    return body


def request_notified(found: FakeBooking, name: str) -> dict[str, Any]:
    """The `VisitBookingRequestNotification` schema: a booking about to be made (no id)."""
    return {
        "booking_at": wire(found.booked_at or found.start),
        "booking_by": found.booked_by,
        "duration": found.duration,
        "start_at": wire(found.start),
        "end_at": wire(found.end),
        "address_service": service_notified(found, name),
        "patient": dict(found.patient),
        "signature": found.signature,
    }


def notification(
    name: str, where: FakeAddress, created_at: str, **data: dict[str, Any]
) -> dict[str, Any]:
    """A notification: its name, where it happened (facility, doctor, address), its data."""
    return {
        "name": name,
        "data": {
            "facility": facility(where),
            "doctor": doctor(where),
            "address": address(where),
            **data,
        },
        "created_at": created_at,
    }
