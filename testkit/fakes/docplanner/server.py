"""The fake Docplanner Integrations API on loopback (see the package's docstring for its
contract): the OAuth token, the gate every request passes (failures on demand, the bearer
token, the rate limits and their headers, the report to the observers), the notifications'
pull and release, over the catalog, slots and bookings."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler

from core.clock import Clock
from testkit.fakes.docplanner.calendar import wire
from testkit.fakes.docplanner.replies import NOT_FOUND, Refused, error, integer, ok
from testkit.fakes.docplanner.visits import Visits
from testkit.fakes.docplanner.wire import Exchange, Observer

CLIENT_ID = "frontdesk-test"
CLIENT_SECRET = "s3cret-" + "x" * 20
TOKEN_PATH = "/oauth/v2/token"
API = "/api/v3/integration"
TOKEN_SECONDS = 3600
INVALID_CREDENTIALS = "Invalid credentials."


class FakeDocplanner(Visits):
    """The portal's state served as Docplanner's Integrations API."""

    def __init__(
        self, clock: Clock, *, writes_per_minute: int = 40, observers: Iterable[Observer] = ()
    ) -> None:
        super().__init__(clock, writes_per_minute=writes_per_minute, observers=observers)
        self._puts_running = set()
        self._puts_done = {}
        self._writes: deque[float] = deque()
        self._reads: deque[float] = deque()
        self._released_at: datetime | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.router.add_post(TOKEN_PATH, self._token)
        doctor = API + "/facilities/{facility_id}/doctors/{doctor_id}"
        address = doctor + "/addresses/{address_id}"
        booking = address + "/bookings/{booking_id}"
        app.router.add_get(API + "/facilities", self.get_facilities)
        app.router.add_get(API + "/facilities/{facility_id}/doctors", self.get_doctors)
        app.router.add_get(doctor, self.get_doctor)
        app.router.add_get(doctor + "/addresses", self.get_addresses)
        app.router.add_get(API + "/services", self.get_services)
        app.router.add_get(address + "/services", self.get_address_services)
        app.router.add_get(address + "/slots", self.get_slots)
        app.router.add_put(address + "/slots", self.replace_slots)
        app.router.add_delete(address + "/slots/{date}", self.delete_slots)
        app.router.add_post(address + "/slots/{start}/book", self.book_slot)
        app.router.add_get(address + "/bookings", self.get_bookings)
        app.router.add_get(booking, self.get_booking)
        app.router.add_delete(booking, self.cancel_booking)
        app.router.add_post(booking + "/move", self.move_booking)
        app.router.add_get(API + "/notifications/multiple", self._pull)
        app.router.add_post(API + "/notifications/release", self._release)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        body = await request.read()
        injected = True
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.down:
            response = error(503, "Service Unavailable")
        elif self._failures:
            status, retry_after = self._failures.popleft()
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            response = error(status, "injected failure", headers)
        else:
            injected = False
            response = await self._serve(request, handler)
        exchange = Exchange(
            method=request.method,
            path=request.path,
            query=tuple(request.query.items()),
            headers=dict(request.headers),
            body=body,
            status=response.status,
            response_headers=dict(response.headers),
            response_body=response.body if isinstance(response.body, bytes) else b"",
            injected=injected,
        )
        for observer in self.observers:
            observer.exchange(exchange)
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.Response:
        try:
            if request.path == TOKEN_PATH:
                return await self._answer(request, handler)
            auth = request.headers.get("Authorization", "")
            expires = self.tokens.get(auth.removeprefix("Bearer "))
            if not auth.startswith("Bearer ") or expires is None or expires <= self.clock.now():
                raise Refused(401, INVALID_CREDENTIALS)
            limits = self._limit(request.method)
            response = await self._answer(request, handler)
        except Refused as refused:
            return refused.response()
        response.headers.update(limits)
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.Response:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # no such path or method
            raise Refused(exc.status, NOT_FOUND) from None
        assert isinstance(response, web.Response)
        return response

    def _limit(self, method: str) -> dict[str, str]:
        """GETs: 8000 an hour; writes: `writes_per_minute` (40 by default); the state in
        `X-RateLimit-*` headers (`-Reset` an ISO 8601 date), 429 with Retry-After beyond."""
        reading = method == "GET"
        window, limit = (3600.0, self.reads_per_hour) if reading else (60.0, self.writes_per_minute)
        made = self._reads if reading else self._writes
        now = time.monotonic()
        while made and made[0] <= now - window:
            made.popleft()
        wait = window - (now - made[0]) if made else window
        reset = wire(self.clock.now() + timedelta(seconds=wait))
        if len(made) >= limit:
            raise Refused(
                429,
                "Too Many Requests",
                headers={
                    "Retry-After": str(int(wait) + 1),
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Used": str(len(made)),
                    "X-RateLimit-Reset": reset,
                },
            )
        made.append(now)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - len(made)),
            "X-RateLimit-Used": str(len(made)),
            "X-RateLimit-Reset": reset,
        }

    async def _token(self, request: web.Request) -> web.Response:
        """Client credentials in HTTP Basic (the document's curl) or as form fields (the PHP
        SDK); `grant_type=client_credentials`."""
        form = await request.post()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, secret = decoded.partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            raise Refused(401, INVALID_CREDENTIALS)
        if form.get("grant_type") != "client_credentials":
            raise Refused(400, "Invalid grant_type parameter or parameter missing")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock.now() + timedelta(seconds=TOKEN_SECONDS)
        return web.json_response(
            {
                "access_token": token,
                "expires_in": TOKEN_SECONDS,
                "token_type": "bearer",
                "scope": None,
            }
        )

    async def _pull(self, request: web.Request) -> web.Response:
        """`{"notifications": [...], "remaining": N}`, each handed out once; 404 when none."""
        limit = integer(request, "limit", 1)
        if limit is None or not 1 <= limit <= 100:
            raise Refused(400, "Invalid arguments", ["limit: from 1 to 100"])
        if not self.notifications:
            raise Refused(404, "No notifications found")
        out = [self.notifications.popleft() for _ in range(min(limit, len(self.notifications)))]
        return ok({"notifications": out, "remaining": len(self.notifications)})

    async def _release(self, request: web.Request) -> web.Response:
        """Failed pushes sent again: once an hour (429 with Retry-After within it)."""
        if not self.pushing:
            raise Refused(403, "You are not allowed to use this method")
        now = self.clock.now()
        if self._released_at is not None and now - self._released_at < timedelta(hours=1):
            wait = timedelta(hours=1) - (now - self._released_at)
            raise Refused(429, "Too Many Requests", headers={"Retry-After": str(
                int(wait.total_seconds()) + 1)})  # fmt: skip
        self._released_at = now
        return web.Response(status=204)
