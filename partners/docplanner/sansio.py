"""ZnanyLekarz / Docplanner Integrations API (v1.14), the sans-I/O half: what is said and
read, with no network (`partners.docplanner.client` sends it).

The paths and bodies (`slots_body`, `book_body`, `move_body`), the reading of errors
(`parse_error`) and of notifications (`parse_notice`, also used by the push endpoint
`partners.docplanner_push`) are pure functions.

Ids. A doctor's calendar lives at an address: our doctor maps to the path
`facility/doctor/address`. A booking is known by `facility/doctor/address/id`
(its address is needed to cancel or move it). A service maps to the
dictionary's `service_id`; the address's own `address_service_id` is looked
up (and cached) when booking or publishing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from core.partners.port import (
    Notice,
    NoticeKind,
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Visit,
)
from core.vocab import Sex
from partners.headers import retry_after_seconds

MEDIA_TYPE = "application/vnd.docplanner+json"
HORIZON = timedelta(weeks=12)  # the API refuses slots further ahead
_GENDER = {"f": Sex.FEMALE, "m": Sex.MALE}
BOOKED_NAMES = ("slot-booked", "slot-booking")
BLOCKING_NAMES = ("slot-booking", "booking-moving")


@dataclass(frozen=True)
class Address:
    """A doctor's calendar: `facility/doctor/address`."""

    facility: str
    doctor: str
    address: str

    @classmethod
    def parse(cls, path: str) -> Address:
        parts = path.split("/")
        if len(parts) < 3 or not all(parts[:3]):
            raise PartnerRefused(f"not a Docplanner address path: {path!r}")
        return cls(*parts[:3])

    @property
    def path(self) -> str:
        f, d, a = (quote(p, safe="") for p in (self.facility, self.doctor, self.address))
        return f"/facilities/{f}/doctors/{d}/addresses/{a}"

    @property
    def id(self) -> str:
        return f"{self.facility}/{self.doctor}/{self.address}"


def booking_ref(address: Address, booking_id: str) -> str:
    return f"{address.id}/{booking_id}"


def parse_booking_ref(ref: str) -> tuple[Address, str]:
    parts = ref.split("/")
    if len(parts) != 4 or not all(parts):
        raise PartnerRefused(f"not a Docplanner booking reference: {ref!r}")
    return Address(*parts[:3]), parts[3]


def stamp(at: datetime) -> str:
    """ISO 8601 with offset, as the API writes them."""
    return at.isoformat(timespec="seconds")


def slots_body(
    periods: Sequence[tuple[datetime, datetime]], services: Sequence[tuple[str, int]]
) -> dict[str, Any]:
    """`PUT .../slots`: work periods of one day, each offering every address service."""
    offered = [{"address_service_id": sid, "duration": minutes} for sid, minutes in services]
    return {
        "slots": [
            {"start": stamp(start), "end": stamp(end), "address_services": offered}
            for start, end in periods
        ]
    }


def patient_body(patient: PartnerPatient) -> dict[str, Any]:
    body: dict[str, Any] = {"name": patient.first_name, "surname": patient.last_name}
    optional = {
        "email": patient.email,
        "phone": patient.phone,
        "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
        "nin": patient.pesel,
        "gender": {Sex.FEMALE: "f", Sex.MALE: "m"}.get(patient.sex) if patient.sex else None,
    }
    return body | {k: v for k, v in optional.items() if v is not None}


def book_body(visit: Visit, address_service_id: str) -> dict[str, Any]:
    minutes = int((visit.end_at - visit.start_at).total_seconds() // 60)
    return {
        "address_service_id": address_service_id,
        "duration": minutes,
        "patient": patient_body(visit.patient),
    }


def move_body(visit: Visit, address: Address, address_service_id: str) -> dict[str, Any]:
    minutes = int((visit.end_at - visit.start_at).total_seconds() // 60)
    return {
        "address_id": address.address,
        "start": stamp(visit.start_at),
        "address_service_id": address_service_id,
        "duration": minutes,
    }


def parse_error(status: int, content: bytes, headers: Mapping[str, str]) -> Exception:
    """The engine's error for a non-2xx answer, with Docplanner's own message."""
    message = ""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, dict) and errors:
            message += " " + "; ".join(f"{k}: {v}" for k, v in errors.items())
    text = f"HTTP {status}: {message.strip() or 'no message'}"[:400]
    if status == 429 or status >= 500:
        wait = retry_after_seconds(headers.get("retry-after")) or retry_after_seconds(
            headers.get("x-ratelimit-reset")
        )
        return PartnerUnavailable(text, retry_after=wait)
    return PartnerRefused(text, status=status)


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def id_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _patient(data: Any) -> PartnerPatient | None:
    if not isinstance(data, dict):
        return None
    birth = data.get("birth_date")
    try:
        birth_date = date.fromisoformat(birth) if isinstance(birth, str) and birth else None
    except ValueError:
        birth_date = None
    text = {k: data.get(k) if isinstance(data.get(k), str) else None for k in data}
    return PartnerPatient(
        first_name=(text.get("name") or "")[:100],
        last_name=(text.get("surname") or "")[:100],
        email=text.get("email"),
        phone=text.get("phone"),
        birth_date=birth_date,
        sex=_GENDER.get(str(data.get("gender", "")).lower()),
    )


def parse_notice(raw: Any) -> Notice:
    """A notification `{"name", "data", "created_at"}` in the engine's words. Its key is
    the event and the booking it is about, so a push and a pull of it are one notice."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ValueError("not a Docplanner notification")
    name: str = raw["name"][:64]
    data = raw.get("data")
    data = data if isinstance(data, dict) else {}
    address = Address(
        id_of(data.get("facility")), id_of(data.get("doctor")), id_of(data.get("address"))
    )
    if name in BOOKED_NAMES or name in ("booking-canceled", "booking-confirmed"):
        visit = data.get("visit_booking")
        if not isinstance(visit, dict) or not id_of(visit) or not all(address.id.split("/")):
            raise ValueError(f"{name} without its booking or address")
        ref = booking_ref(address, id_of(visit))
        service = visit.get("address_service")
        key = f"{name}:{ref}"
        if name == "booking-canceled":
            reason = str(visit.get("cancel_reason") or data.get("reason") or "")[:500]
            return Notice(key, name, NoticeKind.CANCELLED, ref, reason=reason)
        if name == "booking-confirmed":
            return Notice(key, name, NoticeKind.OTHER, ref)
        return Notice(
            key,
            name,
            NoticeKind.BOOKED,
            ref,
            doctor=address.id,
            service=id_of(service.get("service_id")) if isinstance(service, dict) else None,
            start_at=_dt(visit.get("start_at")),
            patient=_patient(visit.get("patient")),
            extra={"address_service_id": id_of(service) if isinstance(service, dict) else ""},
        )
    if name in ("booking-moved", "booking-moving"):
        old, new = data.get("old_visit_booking"), data.get("new_visit_booking")
        if not isinstance(old, dict) or not isinstance(new, dict) or not id_of(old):
            raise ValueError(f"{name} without its bookings")
        old_address = Address(
            id_of(old.get("facility")) or address.facility,
            id_of(old.get("doctor")) or address.doctor,
            id_of(old.get("address")) or address.address,
        )
        old_ref = booking_ref(old_address, id_of(old))
        new_ref = booking_ref(address, id_of(new)) if id_of(new) else ""
        return Notice(
            key=f"{name}:{new_ref or old_ref}:{new.get('start_at')}",
            name=name,
            kind=NoticeKind.MOVED,
            remote_booking_id=new_ref,
            old_remote_booking_id=old_ref,
            doctor=address.id,
            start_at=_dt(new.get("start_at")),
        )
    created = raw.get("created_at") if isinstance(raw.get("created_at"), str) else ""
    return Notice(key=f"{name}:{created}:{address.id}"[:200], name=name, kind=NoticeKind.OTHER)


def items_of(data: Any) -> list[dict[str, Any]]:
    items = data.get("_items") if isinstance(data, dict) else data
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
