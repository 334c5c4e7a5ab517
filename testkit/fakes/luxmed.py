"""A fake LUX MED connector on loopback, keeping the contract we assume (partners/luxmed.py,
docs/partners.md): a Bearer password, the service dictionary, day schedules, eligibility
by PESEL, visits created once per Idempotency-Key, moved, cancelled and completed; and
failures on demand (`fail_next`, `down`)."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

PASSWORD = "connector-password-0123456789"


@dataclass
class FakeVisit:
    id: str
    body: dict[str, Any]
    status: str = "booked"  # booked, cancelled, completed
    reason: str = ""


class FakeLuxmed:
    def __init__(self) -> None:
        self.services = {"LM-100": "Konsultacja internistyczna"}
        self.schedules: dict[tuple[str, date], dict[str, Any]] = {}
        self.visits: dict[str, FakeVisit] = {}
        self.by_key: dict[str, str] = {}
        self.refusals: dict[str, tuple[str, str]] = {}  # PESEL → (reason, message)
        self.eligibility_asked: list[str] = []
        self.down = False
        self._failures: deque[int] = deque()
        self._ids = itertools.count(70001)

    def fail_next(self, status: int, n: int = 1) -> None:
        self._failures.extend([status] * n)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/v1/ping", self._ping)
        app.router.add_get("/v1/services", self._services)
        app.router.add_put("/v1/doctors/{doctor}/schedule/{day}", self._schedule)
        app.router.add_post("/v1/eligibility", self._eligibility)
        app.router.add_post("/v1/visits", self._create)
        app.router.add_put("/v1/visits/{id}", self._move)
        app.router.add_post("/v1/visits/{id}/cancel", self._cancel)
        app.router.add_post("/v1/visits/{id}/complete", self._complete)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.down:
            return _error(503, "unavailable", "connector down")
        if self._failures:
            return _error(self._failures.popleft(), "injected", "injected failure")
        if request.headers.get("Authorization") != f"Bearer {PASSWORD}":
            return _error(401, "unauthorized", "wrong connector password")
        return await handler(request)

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _services(self, request: web.Request) -> web.Response:
        items = [{"code": k, "name": v} for k, v in self.services.items()]
        return web.json_response({"services": items})

    async def _schedule(self, request: web.Request) -> web.Response:
        body = await request.json()
        for service in body.get("services", []):
            if service.get("code") not in self.services:
                return _error(422, "unknown_service", "not in the dictionary")
        day = date.fromisoformat(request.match_info["day"])
        self.schedules[(request.match_info["doctor"], day)] = body
        return web.Response(status=204)

    async def _eligibility(self, request: web.Request) -> web.Response:
        body = await request.json()
        pesel = str(body.get("pesel", ""))
        self.eligibility_asked.append(pesel)
        if pesel in self.refusals:
            reason, message = self.refusals[pesel]
            return web.json_response({"eligible": False, "reason": reason, "message": message})
        return web.json_response({"eligible": True})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = request.headers.get("Idempotency-Key", "")
        if key in self.by_key:  # a repeated request: the first visit, not a second
            return web.json_response({"id": self.by_key[key]}, status=201)
        if not (body.get("patient") or {}).get("pesel"):
            return _error(422, "pesel_required", "PESEL is required")
        if body.get("service") not in self.services:
            return _error(422, "unknown_service", "not in the dictionary")
        visit = FakeVisit(str(next(self._ids)), body)
        self.visits[visit.id] = visit
        if key:
            self.by_key[key] = visit.id
        return web.json_response({"id": visit.id}, status=201)

    def _visit(self, request: web.Request) -> FakeVisit:
        visit = self.visits.get(request.match_info["id"])
        if visit is None:
            raise web.HTTPNotFound(
                text='{"error": {"code": "not_found"}}', content_type="application/json"
            )
        return visit

    async def _move(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if visit.status != "booked":
            return _error(409, "not_booked", f"visit is {visit.status}")
        visit.body |= await request.json()
        return web.json_response({"id": visit.id})

    async def _cancel(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        visit.status, visit.reason = "cancelled", (await request.json()).get("reason", "")
        return web.Response(status=204)

    async def _complete(self, request: web.Request) -> web.Response:
        visit = self._visit(request)
        if visit.status != "booked":
            return _error(409, "not_booked", f"visit is {visit.status}")
        visit.status = "completed"
        return web.Response(status=204)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
