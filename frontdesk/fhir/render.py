"""FHIR going out: Slots, Appointments, Bundles and OperationOutcomes as R4 JSON.

Pure functions of the engine's rows and a few names; the ids are `ids.py`'s and the
codes are ours (`SERVICES`, `SPECIALTIES`: no public code system names a clinic's own
services), so a partner maps them once, as it maps ours in its own catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.models import Booking, Branch, Service, Specialty
from core.schedule.feed import slot_id
from core.schedule.search import FreeSlot
from core.vocab import BookingStatus
from frontdesk.fhir.ids import Booked, Held, Proposed, schedule_id

SERVICES = "urn:frontdesk:service"
SPECIALTIES = "urn:frontdesk:specialty"  # as in the SMART feed
ERRORS = "urn:frontdesk:error"  # our stable error codes (edge/errors.py's)
HOLD_EXPIRES = "urn:frontdesk:fhir:hold-expires"  # when a pending appointment's hold ends

# Our statuses in FHIR R4's Appointment.status.
STATUS = {
    BookingStatus.BOOKED: "booked",
    BookingStatus.CONFIRMED: "booked",
    BookingStatus.ARRIVED: "arrived",
    BookingStatus.IN_PROGRESS: "checked-in",
    BookingStatus.COMPLETED: "fulfilled",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.NO_SHOW: "noshow",
}


@dataclass(frozen=True)
class Names:
    """What a rendering shows besides ids: services, doctors and branches by id."""

    services: Mapping[int, Service]
    doctors: Mapping[int, str]
    branches: Mapping[int, Branch]


def instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def service_type(service: Service) -> dict[str, Any]:
    return {"coding": [{"system": SERVICES, "code": service.code, "display": service.name}]}


def healthcare_service(service: Service, specialty: Specialty | None) -> dict[str, Any]:
    """A service of the catalog: its code is what `service-type` takes."""
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(service.id),
        "active": True,
        "type": [service_type(service)],
        "name": service.name,
        "comment": f"{service.duration_minutes} min",
        "appointmentRequired": True,
    }
    if specialty is not None:
        coding = {"system": SPECIALTIES, "code": specialty.code, "display": specialty.name}
        resource["specialty"] = [{"coding": [coding]}]
    return resource


def schedule(
    doctor_id: int, doctor: str, branch: Branch, services: Iterable[Service]
) -> dict[str, Any]:
    """A doctor at a branch, as the SMART feed's Schedule, with the services they give."""
    return {
        "resourceType": "Schedule",
        "id": schedule_id(doctor_id, branch.id or 0),
        "active": True,
        "serviceType": [service_type(s) for s in services],
        "actor": [
            {"reference": f"Practitioner/{doctor_id}", "display": doctor},
            {"reference": f"Location/{branch.id}", "display": branch.name},
        ],
    }


def slot(free: FreeSlot, service: Service | None) -> dict[str, Any]:
    """A free time; with a service, as long as that service's visit."""
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": slot_id(free.doctor_id, free.branch_id, free.start_at),
        "schedule": {"reference": f"Schedule/{schedule_id(free.doctor_id, free.branch_id)}"},
        "status": "free",
        "start": instant(free.start_at),
        "end": instant(free.end_at),
    }
    if service is not None:
        resource["serviceType"] = [service_type(service)]
    return resource


def _participants(
    names: Names, doctor_id: int, branch_id: int, patient_id: int | None
) -> list[dict[str, Any]]:
    branch = names.branches.get(branch_id)
    people = [
        {
            "actor": {
                "reference": f"Practitioner/{doctor_id}",
                "display": names.doctors.get(doctor_id, ""),
            },
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": {
                "reference": f"Location/{branch_id}",
                "display": branch.name if branch else "",
            },
            "required": "required",
            "status": "accepted",
        },
    ]
    if patient_id is not None:
        people.append(
            {
                "actor": {"reference": f"Patient/{patient_id}"},
                "required": "required",
                "status": "accepted",
            }
        )
    return people


def _appointment(
    id_: str,
    status: str,
    service: Service | None,
    start: datetime,
    end: datetime,
    slot_ids: Iterable[str],
    participants: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": id_,
        "status": status,
        **({"serviceType": [service_type(service)]} if service is not None else {}),
        "start": instant(start),
        "end": instant(end),
        "minutesDuration": int((end - start).total_seconds() // 60),
        "slot": [{"reference": f"Slot/{s}"} for s in slot_ids],
        "participant": participants,
    }


def proposed(free: FreeSlot, service: Service, names: Names) -> dict[str, Any]:
    """One of `$find`'s options: its id is what `$hold` and `$book` take."""
    option = Proposed(service.id or 0, free.doctor_id, free.branch_id, free.start_at)
    appointment = _appointment(
        option.id,
        "proposed",
        service,
        free.start_at,
        free.end_at,
        [slot_id(free.doctor_id, free.branch_id, free.start_at)],
        _participants(names, free.doctor_id, free.branch_id, None),
    )
    for person in appointment["participant"]:
        person["status"] = "needs-action"
    return appointment


def pending(
    token: str,
    service: Service,
    doctor_id: int,
    branch_id: int,
    start: datetime,
    end: datetime,
    expires_at: datetime,
    names: Names,
) -> dict[str, Any]:
    """A held appointment: the time is the partner's until `expires_at`."""
    appointment = _appointment(
        Held(token).id,
        "pending",
        service,
        start,
        end,
        [slot_id(doctor_id, branch_id, start)],
        _participants(names, doctor_id, branch_id, None),
    )
    appointment["extension"] = [{"url": HOLD_EXPIRES, "valueDateTime": instant(expires_at)}]
    return appointment


def booked(booking: Booking, names: Names) -> dict[str, Any]:
    assert booking.id is not None
    service = names.services.get(booking.service_id)  # None once it is withdrawn
    appointment = _appointment(
        Booked(booking.id).id,
        STATUS[booking.status],
        service,
        booking.start_at,
        booking.end_at,
        [slot_id(booking.doctor_id, booking.branch_id, booking.start_at)],
        _participants(names, booking.doctor_id, booking.branch_id, booking.patient_id),
    )
    appointment["created"] = instant(booking.created_at)
    if booking.status is BookingStatus.CANCELLED and booking.cancel_reason:
        appointment["cancelationReason"] = {"text": booking.cancel_reason}
    return appointment


def bundle(resources: list[dict[str, Any]], base: str, *, total: bool = True) -> dict[str, Any]:
    """A searchset Bundle of the resources (`total`: how many there are)."""
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total:
        result["total"] = len(resources)
    result["entry"] = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return result


# FHIR's issue type for each HTTP status we answer with.
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    410: "expired",
    413: "too-long",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
}


def outcome(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """An OperationOutcome of one issue: FHIR's issue type, our stable code, a message."""
    issue: dict[str, Any] = {
        "severity": "error" if status < 500 else "fatal",
        "code": ISSUE_TYPE.get(status, "exception" if status >= 500 else "processing"),
        "details": {"coding": [{"system": ERRORS, "code": code}], "text": message},
        "diagnostics": message,
    }
    if field is not None:
        issue["expression"] = [field]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
