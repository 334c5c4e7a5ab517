"""CeR (Centralna e-Rejestracja, Poland's central e-registration) behind
`core.partners.port`: the schedules of NFZ-contracted services published to it, the
visits booked here sent to it, and its central bookings, moves and cancellations read.

CeR's technical specification is not public to us: this is the contract we assume
(docs/partners.md), in the terms of PLScheduling v0.2 (FHIR R4: a free Slot, an
Appointment made by another system), kept in this one module so the real one replaces
it here. FHIR JSON over HTTPS to CeR's base address, `Authorization: Bearer <token>`
(the facility's), a timeout per request:

- `GET /metadata` → a CapabilityStatement: "test connection";
- `PUT /Schedule/{schedule}/day/{YYYY-MM-DD}` a Bundle (`collection`) of the Schedule
  (its HealthcareService codes with their minutes) and its Slots for that local day,
  `free` and `busy` → 200: the day replaced. A schedule is one doctor's (`Scope.SERVICE`:
  only the services mapped to CeR are published and sent);
- `POST /Appointment` with `If-None-Exist: identifier=<OPERATION_SYSTEM>|<key>` (FHIR's
  conditional create: a repeated key returns the first) → 201/200 the Appointment: a
  visit booked here, with the patient contained (PESEL required) and the e-referral in
  `basedOn`;
- `PATCH /Appointment/{id}` (JSON Patch) → 200: moved (`start`, `end`, practitioner) or
  cancelled (`status`, `cancelationReason`);
- `GET /Appointment/_history?_since=<instant>&_count=<n>` → a Bundle (`history`) of
  Appointment versions, oldest first: version 1 booked is a central booking, a later
  booked version a move, `cancelled` a cancellation; versions written by us carry our
  `meta.source` and are skipped. `_since` is inclusive: the last instant is read again,
  and the inbox keeps each version once (`appointment:{id}:{version}`);
- errors are an OperationOutcome; 429 and 5xx may carry Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from core.partners.port import (
    Keep,
    Notice,
    NoticeKind,
    Outbound,
    PartnerPatient,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import Channel, PartnerOpKind, Sex
from edge.text import clean, clean_optional
from partners.headers import retry_after_seconds
from partners.http import call_json

PESEL_SYSTEM = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"  # PL Base: the PESEL register
E_REFERRAL_SYSTEM = "urn:frontdesk:cer:e-referral"  # assumed: P1's OID replaces it
SERVICE_SYSTEM = "urn:frontdesk:cer:service"  # assumed: NFZ's product codes replace it
OPERATION_SYSTEM = "urn:frontdesk:operation"  # our idempotency key on what we create
SOURCE = "urn:frontdesk"  # `meta.source` of what we write: skipped when read back
MINUTES_URL = "urn:frontdesk:cer:minutes"  # a service's duration on the Schedule
FHIR_JSON = "application/fhir+json"
PAGE = 100


@dataclass(frozen=True)
class CerAccount:
    base_url: str
    token: str = field(repr=False)
    timezone: str = "Europe/Warsaw"
    horizon_days: int = 90  # CeR offers visits 40 days ahead, screening 90
    timeout: float = 10.0


def parse_error(status: int, content: bytes, headers: Mapping[str, str]) -> Exception:
    """The engine's error for a non-2xx answer, with the OperationOutcome's words."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    words = ""
    issues = data.get("issue") if isinstance(data, dict) else None
    if isinstance(issues, list) and issues and isinstance(issues[0], dict):
        first = issues[0]
        words = f"{first.get('code') or ''} {first.get('diagnostics') or ''}".strip()
    text = f"HTTP {status}: {words or 'no message'}"[:400]
    if status == 429 or status >= 500:
        return PartnerUnavailable(text, retry_after=retry_after_seconds(headers.get("retry-after")))
    return PartnerRefused(text, status=status)


def free_periods(
    periods: Sequence[tuple[datetime, datetime]], busy: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The working periods with the visits' time taken out."""
    free: list[tuple[datetime, datetime]] = []
    for start, end in periods:
        cursor = start
        for b_start, b_end in sorted(busy):
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                free.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            free.append((cursor, end))
    return free


def _coding(code: str) -> dict[str, Any]:
    return {"coding": [{"system": SERVICE_SYSTEM, "code": code}]}


def schedule_bundle(op: Outbound, zone: ZoneInfo) -> dict[str, Any]:
    """One doctor's day as PLScheduling's Schedule with its free and busy Slots."""
    assert op.doctor is not None
    ref = {"reference": f"Schedule/{op.doctor}"}
    services = [
        _coding(code) | {"extension": [{"url": MINUTES_URL, "valueInteger": minutes}]}
        for code, minutes in op.services
    ]
    free = free_periods(op.periods, op.busy)
    slots = [(s, e, "free") for s, e in free] + [(s, e, "busy") for s, e in op.busy]
    entries: list[dict[str, Any]] = [
        {
            "resource": {
                "resourceType": "Schedule",
                "id": op.doctor,
                "active": True,
                "serviceType": services,
                "actor": [{"reference": f"Practitioner/{op.doctor}"}],
            }
        }
    ]
    for start, end, status in sorted(slots):
        entries.append(
            {
                "resource": {
                    "resourceType": "Slot",
                    "schedule": ref,
                    "status": status,
                    "start": start.astimezone(zone).isoformat(),
                    "end": end.astimezone(zone).isoformat(),
                    "serviceType": [_coding(code) for code, _ in op.services],
                }
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _patient_resource(patient: PartnerPatient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "patient",
        "identifier": [{"system": PESEL_SYSTEM, "value": patient.pesel}],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
    }
    if patient.birth_date:
        resource["birthDate"] = patient.birth_date.isoformat()
    if patient.sex:
        resource["gender"] = "female" if patient.sex is Sex.FEMALE else "male"
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", patient.phone), ("email", patient.email))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    return resource


def appointment_body(op: Outbound, zone: ZoneInfo) -> dict[str, Any]:
    """A visit booked here as PLScheduling's Appointment made by another system."""
    visit = op.visit
    assert visit is not None
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "meta": {"source": SOURCE},
        "identifier": [{"system": OPERATION_SYSTEM, "value": op.key}],
        "status": "booked",
        "serviceType": [_coding(visit.service or "")],
        "start": visit.start_at.astimezone(zone).isoformat(),
        "end": visit.end_at.astimezone(zone).isoformat(),
        "contained": [_patient_resource(visit.patient)],
        "participant": [
            {"actor": {"reference": f"Practitioner/{visit.doctor}"}, "status": "accepted"},
            {"actor": {"reference": "#patient"}, "status": "accepted"},
        ],
    }
    if visit.e_referral:
        body["basedOn"] = [{"identifier": {"system": E_REFERRAL_SYSTEM, "value": visit.e_referral}}]
    return body


def _moved(visit: Visit, zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {"op": "replace", "path": "/start", "value": visit.start_at.astimezone(zone).isoformat()},
        {"op": "replace", "path": "/end", "value": visit.end_at.astimezone(zone).isoformat()},
        {
            "op": "replace",
            "path": "/participant/0/actor/reference",
            "value": f"Practitioner/{visit.doctor}",
        },
    ]


def _cancelled(reason: str) -> list[dict[str, Any]]:
    return [
        {"op": "replace", "path": "/status", "value": "cancelled"},
        {"op": "add", "path": "/cancelationReason", "value": {"text": reason[:500]}},
    ]


def _at(value: Any) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _patient_of(appointment: Mapping[str, Any]) -> PartnerPatient | None:
    contained = appointment.get("contained")
    for resource in contained if isinstance(contained, list) else []:
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            continue
        ids = resource.get("identifier")
        pesel = next(
            (
                str(i.get("value"))
                for i in (ids if isinstance(ids, list) else [])
                if isinstance(i, dict) and i.get("system") == PESEL_SYSTEM
            ),
            None,
        )
        names = resource.get("name")
        name = names[0] if isinstance(names, list) and names and isinstance(names[0], dict) else {}
        given = name.get("given")
        telecom = resource.get("telecom")
        contacts = {
            str(t.get("system")): str(t.get("value"))
            for t in (telecom if isinstance(telecom, list) else [])
            if isinstance(t, dict)
        }
        try:
            born = date.fromisoformat(str(resource.get("birthDate")))
        except ValueError:
            born = None
        gender = resource.get("gender")
        return PartnerPatient(
            first_name=clean(str(given[0]) if isinstance(given, list) and given else "", 100),
            last_name=clean(str(name.get("family") or ""), 100),
            email=clean_optional(contacts.get("email"), 200),
            phone=clean_optional(contacts.get("phone"), 30),
            birth_date=born,
            pesel=clean_optional(pesel, 11),
            sex={"female": Sex.FEMALE, "male": Sex.MALE}.get(str(gender)),
        )
    return None


def _e_referral(appointment: Mapping[str, Any]) -> str | None:
    based = appointment.get("basedOn")
    for item in based if isinstance(based, list) else []:
        identifier = item.get("identifier") if isinstance(item, dict) else None
        if isinstance(identifier, dict) and identifier.get("system") == E_REFERRAL_SYSTEM:
            return clean(str(identifier.get("value") or ""), 120) or None
    return None


def _practitioner(appointment: Mapping[str, Any]) -> str | None:
    participants = appointment.get("participant")
    for p in participants if isinstance(participants, list) else []:
        actor = p.get("actor") if isinstance(p, dict) else None
        ref = str(actor.get("reference") or "") if isinstance(actor, dict) else ""
        if ref.startswith("Practitioner/"):
            return clean(ref.removeprefix("Practitioner/"), 200)
    return None


def _service(appointment: Mapping[str, Any]) -> str | None:
    types = appointment.get("serviceType")
    first = types[0] if isinstance(types, list) and types and isinstance(types[0], dict) else {}
    codings = first.get("coding")
    coding = codings[0] if isinstance(codings, list) and codings else {}
    code = coding.get("code") if isinstance(coding, dict) else None
    return clean(str(code), 200) if code else None


def _meta(raw: Any) -> dict[str, Any]:
    resource = raw.get("resource") if isinstance(raw, dict) else None
    meta = resource.get("meta") if isinstance(resource, dict) else None
    return meta if isinstance(meta, dict) else {}


def _text(raw: Any) -> str:
    return str(_meta(raw).get("lastUpdated"))


def _updated(raw: Any) -> datetime | None:
    """When a history entry's version was written (the pull's cursor)."""
    return _at(_meta(raw).get("lastUpdated"))


def parse_version(raw: Any) -> Notice | None:
    """One Appointment version of CeR's history as a notice; None for ours or garbage."""
    resource = raw.get("resource") if isinstance(raw, dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
        return None
    meta = _meta(raw)
    if meta.get("source") == SOURCE:
        return None
    remote = clean(str(resource.get("id") or ""), 100)
    version = clean(str(meta.get("versionId") or ""), 20)
    if not remote or not version:
        return None
    status = resource.get("status")
    key = f"appointment:{remote}:{version}"
    if status == "cancelled":
        reason = resource.get("cancelationReason")
        text = reason.get("text") if isinstance(reason, dict) else None
        return Notice(
            key=key,
            name="appointment.cancelled",
            kind=NoticeKind.CANCELLED,
            remote_booking_id=remote,
            reason=clean(str(text or "cancelled in CeR"), 500),
        )
    if status != "booked":
        return None
    first = version == "1"
    return Notice(
        key=key,
        name="appointment.booked" if first else "appointment.moved",
        kind=NoticeKind.BOOKED if first else NoticeKind.MOVED,
        # A move keeps its id: the notice names the booking it moves, and no new id.
        remote_booking_id=remote if first else "",
        old_remote_booking_id=None if first else remote,
        doctor=_practitioner(resource),
        service=_service(resource),
        start_at=_at(resource.get("start")),
        patient=_patient_of(resource),
        extra={"e_referral": e} if (e := _e_referral(resource)) else {},
    )


class CerClient:
    """The central e-registration: schedules published, visits sent, its changes read."""

    partner = Channel.CER
    operations = frozenset(
        {
            PartnerOpKind.BOOK,
            PartnerOpKind.MOVE,
            PartnerOpKind.CANCEL,
            PartnerOpKind.PUBLISH_SLOTS,
        }
    )
    scope = Scope.SERVICE

    def __init__(self, http: httpx.AsyncClient, account: CerAccount) -> None:
        self.http = http
        self.account = account
        self.zone = ZoneInfo(account.timezone)
        self.horizon = timedelta(days=account.horizon_days)
        self.timeout = httpx.Timeout(account.timeout, connect=min(3.0, account.timeout))
        self._since = ""

    async def deliver(self, op: Outbound) -> str | None:
        if op.kind is PartnerOpKind.PUBLISH_SLOTS:
            assert op.day is not None
            path = f"/Schedule/{quote(op.doctor or '', safe='')}/day/{op.day.isoformat()}"
            await self._call("PUT", path, schedule_bundle(op, ZoneInfo(op.zone)))
            return None
        if op.kind is PartnerOpKind.BOOK:
            assert op.visit is not None
            if not op.visit.patient.pesel:
                raise PartnerRefused("CeR needs the patient's PESEL")
            header = {"If-None-Exist": f"identifier={OPERATION_SYSTEM}|{op.key}"}
            data = await self._call("POST", "/Appointment", appointment_body(op, self.zone), header)
            return str(data.get("id", ""))
        assert op.remote_booking_id is not None
        path = f"/Appointment/{quote(op.remote_booking_id, safe='')}"
        if op.kind is PartnerOpKind.MOVE:
            assert op.visit is not None
            await self._patch(path, _moved(op.visit, self.zone))
            return op.remote_booking_id
        if op.kind is PartnerOpKind.CANCEL:
            await self._patch(path, _cancelled(op.reason))
            return None
        raise PartnerRefused(f"{op.kind} is not supported by CeR")

    async def pull(self, keep: Keep) -> None:
        """The Appointment versions since the last one read, a page at a time; the cursor
        moves once a page is kept."""
        while True:
            params = {"_count": str(PAGE)} | ({"_since": self._since} if self._since else {})
            data = await self._call("GET", "/Appointment/_history", params=params)
            entries = data.get("entry")
            page = entries if isinstance(entries, list) else []
            await keep([n for e in page if (n := parse_version(e))])
            instants = [(at, _text(e)) for e in page if (at := _updated(e))]
            last = max(instants)[1] if instants else self._since
            done = len(page) < PAGE or last == self._since
            self._since = last
            if done:
                return

    async def resolve(self, notice: Notice) -> Notice:
        return notice

    async def test_connection(self) -> bool:
        try:
            await self._call("GET", "/metadata")
        except (PartnerUnavailable, PartnerRefused):
            return False
        return True

    async def _patch(self, path: str, patch: list[dict[str, Any]]) -> None:
        await self._call("PATCH", path, patch, {"Content-Type": "application/json-patch+json"})

    async def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        data = await call_json(
            self.http,
            method,
            self.account.base_url.rstrip("/") + path,
            headers={
                "Authorization": f"Bearer {self.account.token}",
                "Accept": FHIR_JSON,
                **(headers or {}),
            },
            limits=self.timeout,
            read_error=parse_error,
            body=body,
            params=params,
        )
        return data if isinstance(data, dict) else {}
