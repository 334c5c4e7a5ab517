"""ZnanyLekarz / Docplanner Integrations API (v1.14), behind `core.partner_port`.

Sans-I/O where it can be: the paths and bodies (`slots_body`, `book_body`,
`move_body`), the reading of errors (`parse_error`) and of notifications
(`parse_notice`) are pure; `DocplannerClient` is the thin httpx adapter:
OAuth2 client credentials (token kept until `expires_in`, fetched again on a
401), the write limit (40 a minute, counted here and taken from the
`X-RateLimit-*` headers), and the engine's two errors.

Ids. A doctor's calendar lives at an address: our doctor maps to the path
`facility/doctor/address`. A booking is known by `facility/doctor/address/id`
(its address is needed to cancel or move it). A service maps to the
dictionary's `service_id`; the address's own `address_service_id` is looked
up (and cached) when booking or publishing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from aiolimiter import AsyncLimiter

from core.partners.port import (
    Notice,
    NoticeKind,
    Outbound,
    PartnerConflict,
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import Channel, PartnerOpKind, Sex
from partners.http import call_json, retry_after_seconds

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/vnd.docplanner+json"
HORIZON = timedelta(weeks=12)  # the API refuses slots further ahead
_GENDER = {"f": Sex.FEMALE, "m": Sex.MALE}
BOOKED_NAMES = ("slot-booked", "slot-booking")
BLOCKING_NAMES = ("slot-booking", "booking-moving")


@dataclass(frozen=True)
class DocplannerAccount:
    """Who we are there: the domain's base URL (`https://www.znanylekarz.pl`) and the
    client credentials Docplanner issued."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    writes_per_minute: float = 40
    timeout: float = 10.0  # seconds for a whole request


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


def _id(value: Any) -> str:
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
    address = Address(_id(data.get("facility")), _id(data.get("doctor")), _id(data.get("address")))
    if name in BOOKED_NAMES or name in ("booking-canceled", "booking-confirmed"):
        visit = data.get("visit_booking")
        if not isinstance(visit, dict) or not _id(visit) or not all(address.id.split("/")):
            raise ValueError(f"{name} without its booking or address")
        ref = booking_ref(address, _id(visit))
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
            service=_id(service.get("service_id")) if isinstance(service, dict) else None,
            start_at=_dt(visit.get("start_at")),
            patient=_patient(visit.get("patient")),
            extra={"address_service_id": _id(service) if isinstance(service, dict) else ""},
        )
    if name in ("booking-moved", "booking-moving"):
        old, new = data.get("old_visit_booking"), data.get("new_visit_booking")
        if not isinstance(old, dict) or not isinstance(new, dict) or not _id(old):
            raise ValueError(f"{name} without its bookings")
        old_address = Address(
            _id(old.get("facility")) or address.facility,
            _id(old.get("doctor")) or address.doctor,
            _id(old.get("address")) or address.address,
        )
        old_ref = booking_ref(old_address, _id(old))
        new_ref = booking_ref(address, _id(new)) if _id(new) else ""
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


class DocplannerClient:
    """The adapter: one httpx client, one token, the write limit."""

    partner = Channel.ZNANYLEKARZ
    operations = frozenset(
        {PartnerOpKind.BOOK, PartnerOpKind.MOVE, PartnerOpKind.CANCEL, PartnerOpKind.PUBLISH_SLOTS}
    )
    horizon = HORIZON
    scope = Scope.DOCTOR

    def __init__(self, http: httpx.AsyncClient, account: DocplannerAccount) -> None:
        self.http = http
        self.account = account
        self.api = f"{account.base_url.rstrip('/')}/api/v3/integration"
        self.timeout = httpx.Timeout(account.timeout, connect=min(3.0, account.timeout))
        self._token: str | None = None
        self._token_lock = asyncio.Lock()
        self._token_until = 0.0
        self._writes = AsyncLimiter(account.writes_per_minute, 60)
        self._paused_until = 0.0  # the partner said the budget is spent until then
        self._address_services: dict[str, dict[str, str]] = {}

    # -- the engine's interface ----------------------------------------------------

    async def deliver(self, op: Outbound) -> str | None:
        if op.kind is PartnerOpKind.PUBLISH_SLOTS:
            assert op.doctor is not None
            assert op.day is not None
            await self.publish(Address.parse(op.doctor), op.day, op.periods, op.services)
            return None
        if op.kind is PartnerOpKind.CANCEL:
            assert op.remote_booking_id is not None
            await self.cancel(op.remote_booking_id, op.reason)
            return None
        assert op.visit is not None
        if op.kind is PartnerOpKind.MOVE:
            assert op.remote_booking_id is not None
            return await self.move(op.remote_booking_id, op.visit)
        if op.kind is PartnerOpKind.BOOK:
            return await self.book(op.visit)
        raise PartnerRefused(f"{op.kind} is not supported by Docplanner")

    async def pull(self) -> Sequence[Notice]:
        """`GET /notifications/multiple` until it runs dry (the safety net under push)."""
        notices: list[Notice] = []
        for _ in range(10):
            data = await self._call("GET", "/notifications/multiple", params={"limit": "100"})
            items = data.get("_items", []) if isinstance(data, dict) else data
            if not isinstance(items, list):
                break
            for raw in items:
                try:
                    notices.append(parse_notice(raw))
                except ValueError as exc:
                    log.warning("docplanner notification skipped: %s", exc)
            if len(items) < 100:
                break
        return notices

    # -- operations ----------------------------------------------------------------

    async def publish(
        self,
        address: Address,
        day: date,
        periods: Sequence[tuple[datetime, datetime]],
        services: Sequence[tuple[str, int]],
    ) -> None:
        """Replace one day's work periods; a day with none is deleted."""
        if not periods or not services:
            await self._call("DELETE", f"{address.path}/slots/{day.isoformat()}", write=True)
            return
        offered = [(await self._address_service(address, sid), m) for sid, m in services]
        await self._call(
            "PUT", f"{address.path}/slots", json_body=slots_body(periods, offered), write=True
        )

    async def book(self, visit: Visit) -> str:
        address = Address.parse(visit.doctor)
        address_service = await self._address_service(address, visit.service)
        start = quote(stamp(visit.start_at), safe="")
        try:
            data = await self._call(
                "POST",
                f"{address.path}/slots/{start}/book",
                json_body=book_body(visit, address_service),
                write=True,
            )
        except PartnerRefused as exc:
            if exc.status == 404:  # the time is taken there (for now, or not published yet)
                raise PartnerConflict(str(exc), status=404) from None
            raise
        return booking_ref(address, _id(data))

    async def move(self, ref: str, visit: Visit) -> str:
        old, booking_id = parse_booking_ref(ref)
        new = Address.parse(visit.doctor)
        if (old.facility, old.doctor) != (new.facility, new.doctor):  # another calendar
            await self.cancel(ref, "moved to another doctor")
            return await self.book(visit)
        address_service = await self._address_service(new, visit.service)
        data = await self._call(
            "POST",
            f"{old.path}/bookings/{quote(booking_id, safe='')}/move",
            json_body=move_body(visit, new, address_service),
            write=True,
        )
        return booking_ref(new, _id(data))

    async def cancel(self, ref: str, reason: str) -> None:
        address, booking_id = parse_booking_ref(ref)
        try:
            await self._call(
                "DELETE",
                f"{address.path}/bookings/{quote(booking_id, safe='')}",
                json_body={"reason": reason or "cancelled at the clinic"},
                write=True,
            )
        except PartnerRefused as exc:
            if exc.status != 404:  # already gone there: what we wanted
                raise

    async def catalog(self) -> list[dict[str, str]]:
        """Facilities' doctors' addresses and the service dictionary, for mapping:
        `{"kind": "doctor"|"service", "id", "name"}` each."""
        found: list[dict[str, str]] = []
        for facility in _items(await self._call("GET", "/facilities")):
            fid = _id(facility)
            doctors = await self._call(
                "GET",
                f"/facilities/{quote(fid, safe='')}/doctors",
                params={"with": "doctor.addresses"},
            )
            for doctor in _items(doctors):
                for address in _items(doctor.get("addresses")):
                    path = Address(fid, _id(doctor), _id(address))
                    name = f"{doctor.get('name', '')} {doctor.get('surname', '')}".strip()
                    found.append({"kind": "doctor", "id": path.id, "name": name})
        for service in _items(await self._call("GET", "/services")):
            found.append({"kind": "service", "id": _id(service), "name": str(service.get("name"))})
        return found

    # -- transport -------------------------------------------------------------------

    async def _address_service(self, address: Address, service_id: str | None) -> str:
        """The address's own id for a dictionary service (fetched once per address)."""
        if service_id is None:
            raise PartnerRefused("the service is not mapped for Docplanner")
        known = self._address_services.get(address.id)
        if known is None or service_id not in known:
            data = await self._call("GET", f"{address.path}/services")
            known = {_id(s.get("service_id")): _id(s) for s in _items(data)}
            self._address_services[address.id] = known
        if service_id not in known:
            raise PartnerRefused(f"service {service_id} is not offered at address {address.id}")
        return known[service_id]

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        write: bool = False,
    ) -> Any:
        if write:
            await self._take_write()
        stale: str | None = None
        for attempt in range(2):
            token = await self._bearer(stale)
            try:
                return await call_json(
                    self.http,
                    method,
                    self.api + path,
                    headers={"Authorization": f"Bearer {token}", "Accept": MEDIA_TYPE},
                    limits=self.timeout,
                    read_error=parse_error,
                    body=json_body,
                    params=params,
                    on_headers=self._note_budget,
                )
            except PartnerRefused as exc:
                if exc.status != 401 or attempt > 0:
                    raise
                stale = token  # it expired early: a new one, once
        raise AssertionError("unreachable")

    async def _take_write(self) -> None:
        """40 writes a minute: over it, the operation comes back later instead of waiting."""
        wait = self._paused_until - time.monotonic()
        if wait > 0:
            raise PartnerUnavailable("write limit reached", retry_after=wait)
        if not self._writes.has_capacity():
            raise PartnerUnavailable("write limit reached", retry_after=60 / self._writes.max_rate)
        await self._writes.acquire()

    def _note_budget(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip() == "0":
            reset = retry_after_seconds(headers.get("x-ratelimit-reset")) or 60.0
            self._paused_until = time.monotonic() + min(reset, 3600.0)

    async def _bearer(self, stale: str | None) -> str:
        """The current token; a new one when it expired or is `stale` (refused). Concurrent
        calls share one fetch."""
        async with self._token_lock:
            token = self._token
            if token is not None and token != stale and time.monotonic() < self._token_until:
                return token
            return await self._fetch_token()

    async def _fetch_token(self) -> str:
        try:
            response = await self.http.post(
                f"{self.account.base_url.rstrip('/')}/oauth/v2/token",
                data={"grant_type": "client_credentials", "scope": "integration"},
                auth=(self.account.client_id, self.account.client_secret),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(f"{type(exc).__name__} on the token") from None
        if response.status_code != 200:
            error = parse_error(response.status_code, response.content, response.headers)
            if isinstance(error, PartnerRefused):  # wrong credentials: staff must fix them
                raise PartnerRefused(f"token refused: {error}", status=response.status_code)
            raise error
        data = response.json()
        self._token = str(data["access_token"])
        lifetime = float(data.get("expires_in", 3600))
        self._token_until = time.monotonic() + max(lifetime - 60, lifetime / 2)
        return self._token


def _items(data: Any) -> list[dict[str, Any]]:
    items = data.get("_items") if isinstance(data, dict) else data
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
