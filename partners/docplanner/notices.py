"""Docplanner's notifications read in the engine's words, with no network: pulled
(`GET /notifications/multiple`) or pushed (`partners.docplanner_push`), each is one
`Notice` keyed by the event and the booking it is about, so a push and a pull of the
same event are one notice. What each carries is the published document's: `slot-booked`
names the address's own service; the blocking `slot-booking` has no booking id yet
(`visit_booking_request`), nor has the new time of a blocking `booking-moving`
(`canceling_booking`, `creating_booking`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from core.partners.port import Notice, NoticeKind, PartnerPatient
from core.vocab import Sex
from edge.text import clean
from partners.docplanner.sansio import Address, booking_ref, id_of, stamp

BLOCKING_NAMES = ("slot-booking", "booking-moving")
_GENDER = {"f": Sex.FEMALE, "m": Sex.MALE}
TEXT_LIMIT = 200


def _dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _text(value: Any) -> str | None:
    """A string field, cleaned like every outside text (edge.text); numbers too (the
    document's examples write phones unquoted)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return clean(str(value), TEXT_LIMIT)


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
    name = clean(raw["name"], 64)
    data = raw.get("data")
    data = data if isinstance(data, dict) else {}
    address = Address(
        id_of(data.get("facility")), id_of(data.get("doctor")), id_of(data.get("address"))
    )
    reader = _READERS.get(name)
    if reader is None:
        created = _text(raw.get("created_at")) or ""
        return Notice(f"{name}:{created}:{address.id}"[:200], name, NoticeKind.OTHER)
    if not all((address.facility, address.doctor, address.address)):
        raise ValueError(f"{name} without its address")
    return reader(name, address, data)
