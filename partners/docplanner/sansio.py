"""ZnanyLekarz / Docplanner Integrations API (v1.14), the sans-I/O half: what is said and
read, with no network (`partners.docplanner.client` sends it).

The paths and bodies (`slots_body`, `book_body`, `move_body`) and the reading of errors
(`parse_error`) and of collections are pure functions; notifications are read in
`partners.docplanner.notices`.

Ids. A doctor's calendar lives at an address: our doctor maps to the path
`facility/doctor/address`. A booking is known by `facility/doctor/address/id`
(its address is needed to cancel or move it); between a blocking `slot-booking`
and its `slot-booked` it goes by `.../request:<signature>` (`notices.request_ref`). A
service maps to the dictionary's `service_id`; the address's own address
service id is looked up (and cached) when booking or publishing, and the other
way round when a patient's booking there names it (`DocplannerClient.resolve`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from core.partners.port import (
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Visit,
)
from core.vocab import Sex
from edge.text import clean
from partners.headers import reset_in_seconds, retry_after_seconds

MEDIA_TYPE = "application/vnd.docplanner+json"
HORIZON = timedelta(weeks=12)  # the API refuses slots further ahead
_MINUTE = timedelta(minutes=1)
ID_LIMIT = 60  # an id of Docplanner's, as we keep it


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


def id_of(value: Any) -> str:
    """An object's id (or the id itself), cleaned like every outside text (edge.text)."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    return clean(str(value), ID_LIMIT)


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
