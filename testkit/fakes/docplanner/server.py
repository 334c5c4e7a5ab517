"""The fake Docplanner Integrations API on loopback (see the package's docstring for its
contract): OAuth tokens, the calendars' slots and bookings, notifications pulled once, the
write limit and the failures on demand, over the portal's state."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from testkit.fakes.docplanner.portal import FACILITY, FakeAddress, FakeBooking, Portal

CLIENT_ID = "frontdesk-test"
CLIENT_SECRET = "s3cret-" + "x" * 20
MEDIA_TYPE = "application/vnd.docplanner+json"


class FakeDocplanner(Portal):
    """The portal's state served as Docplanner's Integrations API."""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/oauth/v2/token", self._token)
        api = "/api/v3/integration"
        addr = api + "/facilities/{f}/doctors/{d}/addresses/{a}"
        app.router.add_get(api + "/facilities", self._facilities)
        app.router.add_get(api + "/facilities/{f}/doctors", self._doctors)
        app.router.add_get(api + "/services", self._dictionary)
        app.router.add_get(addr + "/services", self._address_services)
        app.router.add_put(addr + "/slots", self._put_slots)
        app.router.add_delete(addr + "/slots/{day}", self._delete_slots)
        app.router.add_post(addr + "/slots/{start}/book", self._book)
        app.router.add_delete(addr + "/bookings/{b}", self._cancel)
        app.router.add_post(addr + "/bookings/{b}/move", self._move)
        app.router.add_get(api + "/notifications/multiple", self._pull)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            return _error(503, "Service Unavailable")
        if self._failures:
            status, retry_after = self._failures.popleft()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return _error(status, "injected failure", headers)
        if request.path == "/oauth/v2/token":
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return _error(401, "Invalid credentials.")
        limits: dict[str, str] = {}
        if request.method != "GET":
            now = time.monotonic()
            while self._writes and self._writes[0] < now - 60:
                self._writes.popleft()
            if len(self._writes) >= self.writes_per_minute:
                reset = str(int(60 - (now - self._writes[0])) + 1)
                return _error(429, "Too Many Requests", {"Retry-After": reset})
            self._writes.append(now)
            limits = {
                "X-RateLimit-Limit": str(self.writes_per_minute),
                "X-RateLimit-Remaining": str(self.writes_per_minute - len(self._writes)),
                "X-RateLimit-Used": str(len(self._writes)),
                "X-RateLimit-Reset": "60",
            }
        response = await handler(request)
        response.headers.update(limits)
        return response

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return _error(401, "Invalid credentials.")
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported grant type")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response(
            {"access_token": token, "expires_in": 3600, "token_type": "bearer"}
        )

    def _address(self, request: web.Request) -> FakeAddress:
        m = request.match_info
        found = self.addresses.get(f"{m['f']}/{m['d']}/{m['a']}")
        if found is None:
            raise web.HTTPNotFound(text='{"message": "Address not found"}')
        return found

    async def _facilities(self, request: web.Request) -> web.Response:
        return _json({"_items": [{"id": FACILITY, "name": "Przychodnia Testowa"}]})

    async def _doctors(self, request: web.Request) -> web.Response:
        doctors: dict[str, dict[str, Any]] = {}
        for a in self.addresses.values():
            doctor = doctors.setdefault(a.doctor, {"id": a.doctor, "name": a.name, "surname": ""})
            doctor.setdefault("addresses", {"_items": []})["_items"].append({"id": a.address})
        return _json({"_items": list(doctors.values())})

    async def _dictionary(self, request: web.Request) -> web.Response:
        return _json({"_items": [{"id": k, "name": v} for k, v in self.dictionary.items()]})

    async def _address_services(self, request: web.Request) -> web.Response:
        address = self._address(request)
        items = [{"id": k, "service_id": v} for k, v in address.services.items()]
        return _json({"_items": items})

    async def _put_slots(self, request: web.Request) -> web.Response:
        address = self._address(request)
        body = await request.json()
        periods = []
        for slot in body.get("slots", []):
            start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
            if start.date() != end.date() and end.time() != datetime.min.time():
                return _error(400, "slot crosses a day boundary")
            if start > self.clock.now() + timedelta(weeks=12):
                return _error(400, "slots allowed at most 12 weeks ahead")
            for service in slot.get("address_services", []):
                if service.get("address_service_id") not in address.services:
                    return _error(400, "unknown address service")
            periods.append((start, end))
        days = {start.date() for start, _ in periods}
        if len(days) > 1:
            return _error(400, "slots of one request must be on one day")
        for day in days:
            self.slots[(address.id, day)] = sorted(periods)
        return web.Response(status=201)

    async def _delete_slots(self, request: web.Request) -> web.Response:
        address = self._address(request)
        self.slots.pop((address.id, date.fromisoformat(request.match_info["day"])), None)
        return web.Response(status=204)

    async def _book(self, request: web.Request) -> web.Response:
        address = self._address(request)
        start = datetime.fromisoformat(request.match_info["start"])
        body = await request.json()
        patient = body.get("patient") or {}
        if not patient.get("name") or not patient.get("surname"):
            return _error(400, "patient name and surname are required")
        if body.get("address_service_id") not in address.services:
            return _error(400, "unknown address service")
        end = start + timedelta(minutes=int(body.get("duration", 15)))
        if not self._free(address, start, end):
            return _error(404, "Slot not found")
        booking = FakeBooking(
            str(next(self._ids)), address, start, end, body["address_service_id"], patient
        )
        self.bookings[booking.id] = booking
        return _json({"id": booking.id, "start_at": start.isoformat()}, status=201)

    def _free(self, address: FakeAddress, start: datetime, end: datetime) -> bool:
        periods = self.slots.get((address.id, start.date()), [])
        if not any(p_start <= start and end <= p_end for p_start, p_end in periods):
            return False
        return not any(
            b.address.id == address.id and b.start < end and start < b.end for b in self.active()
        )

    async def _cancel(self, request: web.Request) -> web.Response:
        booking = self.bookings.get(request.match_info["b"])
        if booking is None or booking.status != "booked":
            return _error(404, "Booking not found")
        booking.status = "cancelled"
        return web.Response(status=204)

    async def _move(self, request: web.Request) -> web.Response:
        old = self.bookings.get(request.match_info["b"])
        if old is None:
            return _error(404, "Booking not found")
        if old.status != "booked":
            return _error(409, f"Booking already {old.status}")
        body = await request.json()
        address = self.addresses.get(
            f"{old.address.facility}/{old.address.doctor}/{body['address_id']}"
        )
        if address is None:
            return _error(404, "Address not found")
        start = datetime.fromisoformat(body["start"])
        end = start + timedelta(minutes=int(body.get("duration", 15)))
        old.status = "moved"
        if not self._free(address, start, end):
            old.status = "booked"
            return _error(404, "Slot not found")
        new = FakeBooking(
            str(next(self._ids)), address, start, end, body["address_service_id"], old.patient
        )
        self.bookings[new.id] = new
        return _json({"id": new.id, "start_at": start.isoformat()}, status=201)

    async def _pull(self, request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "1"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            return _error(400, "limit must be 1..100")
        out = [self.notifications.popleft() for _ in range(min(limit, len(self.notifications)))]
        return _json({"_items": out})


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, content_type=MEDIA_TYPE)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"errors": [], "message": message}, status=status, headers=headers or {}
    )
