"""ZnanyLekarz / Docplanner Integrations API (v1.14), behind `core.partners.port`: the
thin httpx adapter over the pure paths, bodies and parsers of `partners.docplanner.sansio`.

OAuth2 client credentials (token kept until `expires_in`, fetched again on a 401),
the write limit (40 a minute, counted here and taken from the `X-RateLimit-*`
headers), and the engine's two errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import httpx
from aiolimiter import AsyncLimiter

from core.partners.port import (
    Notice,
    Outbound,
    PartnerConflict,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import Channel, PartnerOpKind
from partners.docplanner.sansio import (
    HORIZON,
    MEDIA_TYPE,
    Address,
    book_body,
    booking_ref,
    id_of,
    items_of,
    move_body,
    parse_booking_ref,
    parse_error,
    parse_notice,
    slots_body,
    stamp,
)
from partners.headers import retry_after_seconds
from partners.http import call_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocplannerAccount:
    """Who we are there: the domain's base URL (`https://www.znanylekarz.pl`) and the
    client credentials Docplanner issued."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    writes_per_minute: float = 40
    timeout: float = 10.0  # seconds for a whole request


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
        return booking_ref(address, id_of(data))

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
        return booking_ref(new, id_of(data))

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
        for facility in items_of(await self._call("GET", "/facilities")):
            fid = id_of(facility)
            doctors = await self._call(
                "GET",
                f"/facilities/{quote(fid, safe='')}/doctors",
                params={"with": "doctor.addresses"},
            )
            for doctor in items_of(doctors):
                for address in items_of(doctor.get("addresses")):
                    path = Address(fid, id_of(doctor), id_of(address))
                    name = f"{doctor.get('name', '')} {doctor.get('surname', '')}".strip()
                    found.append({"kind": "doctor", "id": path.id, "name": name})
        for service in items_of(await self._call("GET", "/services")):
            found.append(
                {"kind": "service", "id": id_of(service), "name": str(service.get("name"))}
            )
        return found

    # -- transport -------------------------------------------------------------------

    async def _address_service(self, address: Address, service_id: str | None) -> str:
        """The address's own id for a dictionary service (fetched once per address)."""
        if service_id is None:
            raise PartnerRefused("the service is not mapped for Docplanner")
        known = self._address_services.get(address.id)
        if known is None or service_id not in known:
            data = await self._call("GET", f"{address.path}/services")
            known = {id_of(s.get("service_id")): id_of(s) for s in items_of(data)}
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
