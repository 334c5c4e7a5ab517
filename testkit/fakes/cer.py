"""A fake CeR (Poland's central e-registration) on loopback, keeping the contract we
assume (partners/cer.py, docs/partners.md): a Bearer token, days of Schedules and Slots
replaced (each Bundle checked by `fhir.resources`), Appointments created once per
`If-None-Exist` identifier, JSON-patched, and read back as a history of versions; and
what CeR's own patients do (`book`, `move`, `cancel`: only into time published free,
one visit per patient and service), with failures on demand (`fail_next`, `down`)."""

from __future__ import annotations

import copy
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

TOKEN = "cer-facility-token-0123456789"
PESEL_SYSTEM = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"
E_REFERRAL_SYSTEM = "urn:frontdesk:cer:e-referral"
SERVICE_SYSTEM = "urn:frontdesk:cer:service"
CER_SOURCE = "urn:cer"  # the `meta.source` of what CeR's patients do
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

Period = tuple[datetime, datetime]


@dataclass
class FakeAppointment:
    id: str
    resource: dict[str, Any]
    versions: int = 1

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(self.resource["start"])

    @property
    def status(self) -> str:
        return str(self.resource["status"])


@dataclass
class FakeCer:
    schedules: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    appointments: dict[str, FakeAppointment] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # versions, in order
    by_identifier: dict[str, str] = field(default_factory=dict)
    down: bool = False
    lost: int = 0  # answers to drop after the work is done (a timeout on our side)
    history_reads: int = 0
    _failures: deque[int] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))
    _ticks: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, n: int = 1) -> None:
        self._failures.extend([status] * n)

    def lose_next(self, n: int = 1) -> None:
        """The next `n` writes are done, but answered 504 as if the answer was lost."""
        self.lost += n

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/metadata", self._metadata)
        app.router.add_put("/Schedule/{schedule}/day/{day}", self._schedule)
        app.router.add_post("/Appointment", self._create)
        app.router.add_get("/Appointment/_history", self._history)
        app.router.add_patch("/Appointment/{id}", self._patch)
        return app

    # -- what the published days say --------------------------------------------------

    def slots(self, status: str = "free") -> list[tuple[str, Period]]:
        """(schedule, period) of every published Slot with that status, in order."""
        found = []
        for (schedule, _), bundle in sorted(self.schedules.items()):
            for entry in bundle["entry"]:
                r = entry["resource"]
                if r["resourceType"] == "Slot" and r["status"] == status:
                    period = (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]))
                    found.append((schedule, period))
        return found

    def minutes(self, schedule: str, service: str) -> int | None:
        for (name, _), bundle in self.schedules.items():
            if name != schedule:
                continue
            for entry in bundle["entry"]:
                r = entry["resource"]
                if r["resourceType"] != "Schedule":
                    continue
                for kind in r.get("serviceType", []):
                    if kind["coding"][0]["code"] == service:
                        return int(kind["extension"][0]["valueInteger"])
        return None

    # -- CeR's own patients ------------------------------------------------------------

    def book(
        self,
        schedule: str,
        service: str,
        start: datetime,
        *,
        pesel: str,
        first_name: str = "Jan",
        last_name: str = "Centralny",
        e_referral: str | None = None,
    ) -> str:
        """A patient books in IKP: only into published free time, once per service."""
        minutes = self.minutes(schedule, service)
        assert minutes is not None, "service not published on that schedule"
        end = start + timedelta(minutes=minutes)
        assert any(s == schedule and a <= start and end <= b for s, (a, b) in self.slots()), (
            "not free in the published schedule"
        )
        for appointment in self.appointments.values():
            r = appointment.resource
            if (
                appointment.status == "booked"
                and _pesel(r) == pesel
                and r["serviceType"][0]["coding"][0]["code"] == service
            ):
                raise AssertionError("CeR allows one booking per patient and service")
        resource: dict[str, Any] = {
            "resourceType": "Appointment",
            "status": "booked",
            "serviceType": [{"coding": [{"system": SERVICE_SYSTEM, "code": service}]}],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "contained": [
                {
                    "resourceType": "Patient",
                    "id": "patient",
                    "identifier": [{"system": PESEL_SYSTEM, "value": pesel}],
                    "name": [{"family": last_name, "given": [first_name]}],
                }
            ],
            "participant": [
                {"actor": {"reference": f"Practitioner/{schedule}"}, "status": "accepted"},
                {"actor": {"reference": "#patient"}, "status": "accepted"},
            ],
        }
        if e_referral:
            resource["basedOn"] = [
                {"identifier": {"system": E_REFERRAL_SYSTEM, "value": e_referral}}
            ]
        return self._store(resource, CER_SOURCE).id

    def move(self, appointment_id: str, start: datetime) -> None:
        appointment = self.appointments[appointment_id]
        length = datetime.fromisoformat(appointment.resource["end"]) - appointment.start
        appointment.resource |= {
            "start": start.isoformat(),
            "end": (start + length).isoformat(),
        }
        self._version(appointment, CER_SOURCE)

    def cancel(self, appointment_id: str, reason: str) -> None:
        appointment = self.appointments[appointment_id]
        appointment.resource |= {"status": "cancelled", "cancelationReason": {"text": reason}}
        self._version(appointment, CER_SOURCE)

    # -- the wire ------------------------------------------------------------------------

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.down:
            return _outcome(503, "transient", "CeR is down")
        if self._failures:
            return _outcome(self._failures.popleft(), "transient", "injected failure")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _outcome(401, "login", "wrong token")
        response = await handler(request)
        if self.lost and request.method != "GET":
            self.lost -= 1
            return _outcome(504, "timeout", "answer lost")
        return response

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance"}
        )

    async def _schedule(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            Bundle.model_validate(body)
        except ValidationError as exc:
            return _outcome(422, "structure", str(exc)[:200])
        day = date.fromisoformat(request.match_info["day"])
        self.schedules[(request.match_info["schedule"], day)] = body
        return web.json_response(body)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        condition = request.headers.get("If-None-Exist", "").removeprefix("identifier=")
        if condition in self.by_identifier:
            existing = self.appointments[self.by_identifier[condition]]
            return web.json_response(existing.resource, status=200)
        try:
            Appointment.model_validate(body)
        except ValidationError as exc:
            return _outcome(422, "structure", str(exc)[:200])
        if not _pesel(body):
            return _outcome(422, "required", "PESEL is required")
        appointment = self._store(body, str(body.get("meta", {}).get("source", "")))
        if condition:
            self.by_identifier[condition] = appointment.id
        return web.json_response(appointment.resource, status=201)

    async def _patch(self, request: web.Request) -> web.Response:
        appointment = self.appointments.get(request.match_info["id"])
        if appointment is None:
            return _outcome(404, "not-found", "no such appointment")
        if appointment.status != "booked":
            return _outcome(409, "conflict", f"appointment is {appointment.status}")
        if request.content_type != "application/json-patch+json":
            return _outcome(415, "not-supported", "JSON Patch expected")
        for change in await request.json():
            _apply(appointment.resource, change)
        self._version(appointment, "urn:frontdesk")
        return web.json_response(appointment.resource)

    async def _history(self, request: web.Request) -> web.Response:
        self.history_reads += 1
        since = request.query.get("_since")
        count = int(request.query.get("_count", "100"))
        entries = [
            v
            for v in self.history
            if since is None
            or datetime.fromisoformat(v["meta"]["lastUpdated"]) >= datetime.fromisoformat(since)
        ][:count]
        return web.json_response(
            {
                "resourceType": "Bundle",
                "type": "history",
                "entry": [{"resource": v} for v in entries],
            }
        )

    def _store(self, resource: dict[str, Any], source: str) -> FakeAppointment:
        appointment = FakeAppointment(str(next(self._ids)), copy.deepcopy(resource))
        appointment.resource["id"] = appointment.id
        self.appointments[appointment.id] = appointment
        self._record(appointment, source)
        return appointment

    def _version(self, appointment: FakeAppointment, source: str) -> None:
        appointment.versions += 1
        self._record(appointment, source)

    def _record(self, appointment: FakeAppointment, source: str) -> None:
        at = EPOCH + timedelta(milliseconds=next(self._ticks))
        appointment.resource["meta"] = {
            "versionId": str(appointment.versions),
            "lastUpdated": at.isoformat(),
            "source": source,
        }
        self.history.append(copy.deepcopy(appointment.resource))


def _pesel(resource: dict[str, Any]) -> str | None:
    for contained in resource.get("contained", []):
        for identifier in contained.get("identifier", []):
            if identifier.get("system") == PESEL_SYSTEM:
                return str(identifier.get("value") or "") or None
    return None


def _apply(resource: dict[str, Any], change: dict[str, Any]) -> None:
    """One JSON Patch `replace` or `add` (all our adapter sends)."""
    *parents, last = [p for p in str(change["path"]).split("/") if p]
    target: Any = resource
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = change["value"]
    else:
        target[last] = change["value"]


def _outcome(status: int, code: str, text: str) -> web.Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return web.json_response(body, status=status)
