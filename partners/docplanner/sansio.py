"""ZnanyLekarz / Docplanner Integrations API (v1.14), the sans-I/O half: what is said and
read, with no network (`partners.docplanner.client` sends it).

The paths and bodies (`slots_body`, `book_body`, `move_body`), the reading of errors
(`parse_error`) and of notifications (`parse_notice`, also used by the push endpoint
`partners.docplanner_push`) are pure functions.

Ids. A doctor's calendar lives at an address: our doctor maps to the path
`facility/doctor/address`. A booking is known by `facility/doctor/address/id`
(its address is needed to cancel or move it); between a blocking `slot-booking`
and its `slot-booked` it goes by `.../request:<signature>` (`request_ref`). A
service maps to the dictionary's `service_id`; the address's own address
service id is looked up (and cached) when booking or publishing, and the other
way round when a patient's booking there names it (`DocplannerClient.resolve`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from core.partners.port import (
    Notice,
    NoticeKind,
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Visit,
)
from core.vocab import Sex
from partners.headers import reset_in_seconds, retry_after_seconds

MEDIA_TYPE = "application/vnd.docplanner+json"
HORIZON = timedelta(weeks=12)  # the API refuses slots further ahead
_MINUTE = timedelta(minutes=1)
_GENDER = {"f": Sex.FEMALE, "m": Sex.MALE}
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
    day: date,
    zone: ZoneInfo,
    periods: Sequence[tuple[datetime, datetime]],
    services: Sequence[tuple[str, int]],
) -> dict[str, Any]:
    """`PUT .../slots` for one local day: its work periods, each offering every address
    service, and the rest of the day as ranges offering none. The API replaces only the
    ranges it is sent, so hours a day no longer has are cleared this way too."""
    offered = [{"address_service_id": sid, "duration": minutes} for sid, minutes in services]
    entries: list[dict[str, Any]] = []
    cursor = datetime.combine(day, time(), tzinfo=zone)
    last = datetime.combine(day, time(23, 59), tzinfo=zone)  # a range may not pass midnight

    def add(start: datetime, end: datetime, what: list[dict[str, Any]]) -> None:
        if end - start >= _MINUTE:  # the API refuses ranges shorter than a minute
            entries.append(
                {
                    "start": stamp(start.astimezone(zone)),
                    "end": stamp(end.astimezone(zone)),
                    "address_services": what,
                }
            )

    for start, end in sorted(periods):
        add(cursor, start, [])
        add(max(cursor, start), end, offered)
        cursor = max(cursor, end)
    add(cursor, last, [])
    return {"slots": entries}


def patient_body(patient: PartnerPatient) -> dict[str, Any]:
    """`Patient`: the API requires a name and a phone number."""
    if not patient.phone:
        raise PartnerRefused("Docplanner requires the patient's phone number: the card has none")
    body: dict[str, Any] = {
        "name": patient.first_name,
        "surname": patient.last_name,
        "phone": patient.phone,
    }
    optional = {
        "email": patient.email,
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


def parse_error(
    status: int, content: bytes, headers: Mapping[str, str], now: datetime | None = None
) -> Exception:
    """The engine's error for a non-2xx answer, with Docplanner's own message; a 429's
    wait from `Retry-After` or from `X-RateLimit-Reset` (an ISO 8601 date)."""
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
        wait = retry_after_seconds(headers.get("retry-after")) or reset_in_seconds(
            headers.get("x-ratelimit-reset"), now or datetime.now(UTC)
        )
        return PartnerUnavailable(text, retry_after=wait)
    return PartnerRefused(text, status=status)


def no_notifications(error: PartnerRefused) -> bool:
    """The 404 `GET /notifications/multiple` answers when the queue is empty."""
    return error.status == 404 and "no notifications" in str(error).lower()


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


def _text(value: Any) -> str | None:
    """A string field; numbers too (the document's examples write phones unquoted)."""
    if isinstance(value, bool):
        return None
    return str(value) if isinstance(value, str | int) else None


def _patient(data: Any) -> PartnerPatient | None:
    if not isinstance(data, dict):
        return None
    birth = data.get("birth_date")
    try:
        birth_date = date.fromisoformat(birth) if isinstance(birth, str) and birth else None
    except ValueError:
        birth_date = None
    return PartnerPatient(
        first_name=(_text(data.get("name")) or "")[:100],
        last_name=(_text(data.get("surname")) or "")[:100],
        email=_text(data.get("email")),
        phone=_text(data.get("phone")),
        birth_date=birth_date,
        sex=_GENDER.get(str(data.get("gender", "")).lower()),
    )


def request_ref(address: Address, request: dict[str, Any]) -> str | None:
    """The id a booking goes by between its blocking `slot-booking` (which has no booking
    id yet) and its `slot-booked`: both carry the same `signature`."""
    signature = _text(request.get("signature"))
    if signature:
        return booking_ref(address, f"request:{signature[:60]}")
    start = _dt(request.get("start_at"))
    return booking_ref(address, f"request:{stamp(start)}") if start else None


def _booked(name: str, address: Address, data: dict[str, Any]) -> Notice:
    """`slot-booked`: `visit_booking` names its address service by the address service's
    own id (resolved to the dictionary's by `DocplannerClient.resolve`)."""
    visit = _part(data, "visit_booking", name)
    ref = booking_ref(address, _required_id(visit, name))
    return _booking_notice(name, address, visit, ref, before=request_ref(address, visit))


def _booking_request(name: str, address: Address, data: dict[str, Any]) -> Notice:
    """The blocking `slot-booking`: `visit_booking_request`, no booking id yet."""
    request = _part(data, "visit_booking_request", name)
    ref = request_ref(address, request)
    if ref is None:
        raise ValueError(f"{name} without a signature or a start")
    notice = _booking_notice(name, address, request, ref, before=None)
    return replace(notice, extra=notice.extra | {"provisional": True})


def _booking_notice(
    name: str, address: Address, visit: dict[str, Any], ref: str, *, before: str | None
) -> Notice:
    service = id_of(visit.get("address_service"))
    return Notice(
        key=f"{name}:{ref}",
        name=name,
        kind=NoticeKind.BOOKED,
        remote_booking_id=ref,
        old_remote_booking_id=before,
        doctor=address.id,
        start_at=_dt(visit.get("start_at")),
        patient=_patient(visit.get("patient")),
        extra={"address_service_id": service} if service else {},
    )


def _cancelled(name: str, address: Address, data: dict[str, Any]) -> Notice:
    visit = _part(data, "visit_booking", name)
    ref = booking_ref(address, _required_id(visit, name))
    return Notice(f"{name}:{ref}", name, NoticeKind.CANCELLED, ref)


def _confirmed(name: str, address: Address, data: dict[str, Any]) -> Notice:
    visit = _part(data, "visit_booking", name)
    ref = booking_ref(address, _required_id(visit, name))
    return Notice(f"{name}:{ref}", name, NoticeKind.OTHER, ref)


def _moved(name: str, address: Address, data: dict[str, Any]) -> Notice:
    """`booking-moved`: the old booking and the new one (a new id)."""
    old, new = _part(data, "old_visit_booking", name), _part(data, "new_visit_booking", name)
    old_ref = booking_ref(address, _required_id(old, name))
    new_ref = booking_ref(address, _required_id(new, name))
    return Notice(
        key=f"{name}:{new_ref}",
        name=name,
        kind=NoticeKind.MOVED,
        remote_booking_id=new_ref,
        old_remote_booking_id=old_ref,
        doctor=address.id,
        start_at=_dt(new.get("start_at")),
    )


def _moving(name: str, address: Address, data: dict[str, Any]) -> Notice:
    """The blocking `booking-moving`: `canceling_booking` and `creating_booking` (the new
    time, no id yet; the `booking-moved` that follows brings it)."""
    old = _part(data, "canceling_booking", name)
    new = _part(data, "creating_booking", name)
    old_ref = booking_ref(address, _required_id(old, name))
    start = _dt(new.get("start_at"))
    if start is None:
        raise ValueError(f"{name} without the new time")
    return Notice(
        key=f"{name}:{old_ref}:{stamp(start)}",
        name=name,
        kind=NoticeKind.MOVED,
        old_remote_booking_id=old_ref,
        doctor=address.id,
        start_at=start,
    )


def _part(data: dict[str, Any], field: str, name: str) -> dict[str, Any]:
    part = data.get(field)
    if not isinstance(part, dict):
        raise ValueError(f"{name} without {field}")
    return part


def _required_id(part: dict[str, Any], name: str) -> str:
    found = id_of(part)
    if not found or "/" in found:
        raise ValueError(f"{name} without a booking id")
    return found


_READERS: dict[str, Callable[[str, Address, dict[str, Any]], Notice]] = {
    "slot-booked": _booked,
    "slot-booking": _booking_request,
    "booking-canceled": _cancelled,
    "booking-confirmed": _confirmed,
    "booking-moved": _moved,
    "booking-moving": _moving,
}


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
    reader = _READERS.get(name)
    if reader is None:
        created = raw.get("created_at") if isinstance(raw.get("created_at"), str) else ""
        return Notice(f"{name}:{created}:{address.id}"[:200], name, NoticeKind.OTHER)
    if not all((address.facility, address.doctor, address.address)):
        raise ValueError(f"{name} without its address")
    return reader(name, address, data)


def notifications_of(data: Any) -> tuple[list[Any], int]:
    """`GET /notifications/multiple`: `{"notifications": [...], "remaining": N}`."""
    if not isinstance(data, dict):
        return [], 0
    found = data.get("notifications")
    remaining = data.get("remaining")
    return (
        found if isinstance(found, list) else [],
        remaining if isinstance(remaining, int) and not isinstance(remaining, bool) else 0,
    )


def items_of(data: Any) -> list[dict[str, Any]]:
    """A catalog collection `{"_items": [...]}`."""
    items = data.get("_items") if isinstance(data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
