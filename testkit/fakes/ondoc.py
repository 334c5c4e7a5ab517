"""A fake ONDOC on loopback, keeping the contract we assume (partners/ondoc.py,
docs/partners.md): both tokens on every request, 9-digit linking codes a patient
redeems (`patient_links`), link events to pull, appointments of linked patients only."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

COMPANY_TOKEN = "company-token-0123456789"
BRANCH_TOKEN = "branch-token-0123456789"


@dataclass
class FakeAppointment:
    id: str
    body: dict[str, Any]
    status: str = "booked"
    reason: str = ""


class FakeOndoc:
    def __init__(self) -> None:
        self.codes: dict[str, str] = {}  # code → our patient id
        self.linked: dict[str, str] = {}  # their patient id → our patient id
        self.events: list[dict[str, Any]] = []
        self.appointments: dict[str, FakeAppointment] = {}
        self._ids = itertools.count(900)

    def patient_links(self, code: str) -> str:
        """The patient types the code in their account: linked, and an event to pull."""
        mis_id = self.codes.pop(code)
        patient_id = f"od-{secrets.token_hex(4)}"
        self.linked[patient_id] = mis_id
        self._event("patient.linked", mis_id, patient_id)
        return patient_id

    def patient_unlinks(self, patient_id: str) -> None:
        self._event("patient.unlinked", self.linked.pop(patient_id), patient_id)

    def _event(self, kind: str, mis_id: str, patient_id: str) -> None:
        self.events.append(
            {
                "id": str(len(self.events) + 1),
                "type": kind,
                "data": {"mis_patient_id": mis_id, "patient_id": patient_id},
            }
        )

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/api/v2/link-codes", self._code)
        app.router.add_get("/api/v2/events", self._events)
        app.router.add_post("/api/v2/appointments", self._create)
        app.router.add_patch("/api/v2/appointments/{id}", self._edit)
        app.router.add_post("/api/v2/appointments/{id}/cancel", self._cancel)
        app.router.add_delete("/api/v2/patients/{id}/link", self._unlink)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if (
            request.headers.get("Authorization") != f"Bearer {BRANCH_TOKEN}"
            or request.headers.get("X-Company-Token") != COMPANY_TOKEN
        ):
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    async def _code(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not (body.get("phone") or body.get("email")):
            return web.json_response({"error": "contact_required"}, status=422)
        code = f"{secrets.randbelow(10**9):09d}"
        self.codes[code] = str(body["mis_patient_id"])
        return web.json_response({"code": code})

    async def _events(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after") or 0)
        return web.json_response({"events": self.events[after:], "cursor": str(len(self.events))})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("patient_id") not in self.linked:
            return web.json_response({"error": "patient_not_linked"}, status=422)
        for existing in self.appointments.values():
            if existing.body["mis_id"] == body["mis_id"]:
                return web.json_response({"id": existing.id}, status=201)
        appointment = FakeAppointment(str(next(self._ids)), body)
        self.appointments[appointment.id] = appointment
        return web.json_response({"id": appointment.id}, status=201)

    async def _edit(self, request: web.Request) -> web.Response:
        appointment = self.appointments.get(request.match_info["id"])
        if appointment is None:
            return web.json_response({"error": "not_found"}, status=404)
        appointment.body |= await request.json()
        return web.json_response({"id": appointment.id})

    async def _cancel(self, request: web.Request) -> web.Response:
        appointment = self.appointments.get(request.match_info["id"])
        if appointment is None:
            return web.json_response({"error": "not_found"}, status=404)
        appointment.status = "cancelled"
        appointment.reason = (await request.json()).get("reason", "")
        return web.Response(status=204)

    async def _unlink(self, request: web.Request) -> web.Response:
        self.linked.pop(request.match_info["id"], None)
        return web.Response(status=204)
