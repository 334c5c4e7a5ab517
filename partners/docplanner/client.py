"""ZnanyLekarz / Docplanner Integrations API (v1.14), behind `core.partners.port`: the
thin httpx adapter over the pure paths, bodies and parsers of `partners.docplanner.sansio`.

OAuth2 client credentials (token kept until `expires_in`, fetched again on a 401),
the write limit (40 a minute, counted here and taken from the `X-RateLimit-*`
headers, calendars held to a share of it so visits never wait behind them), and
the engine's two errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from core.partners.port import (
    Keep,
    Notice,
    Outbound,
    PartnerConflict,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import Channel, PartnerOpKind
from partners.docplanner.calendars import Calendars
from partners.docplanner.notices import parse_notice
from partners.docplanner.sansio import (
    HORIZON,
    MEDIA_TYPE,
    Address,
    book_body,
    booking_ref,
    id_of,
    items_of,
    move_body,
    no_notifications,
    notifications_of,
    parse_booking_ref,
    parse_error,
    slots_body,
    stamp,
)
from partners.headers import reset_in_seconds
from partners.http import call_json

log = logging.getLogger(__name__)

WRITES = "docplanner-writes"  # the key the write limits are counted under
PULL_PAGES = 20  # of 100 notifications a pass; the rest waits for the next


class Write(Enum):
    """Whose share of the write budget a write takes."""

    VISIT = "visit"
    CALENDAR = "calendar"


def _known(ref: str) -> str:
    """A booking's id there; one approved by a blocking request waits for its id."""
    if "/request:" in ref:
        raise PartnerUnavailable("the booking's id from Docplanner has not arrived yet")
    return ref


@dataclass(frozen=True)
class DocplannerAccount:
    """Who we are there: the domain's base URL (`https://www.znanylekarz.pl`) and the
    client credentials Docplanner issued."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    writes_per_minute: float = 40
    calendar_share: float = 0.75  # of the writes; the rest is kept for visits
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
        # Writes counted in a moving minute, as Docplanner counts them: calendars never take
        # more than their share of any minute, so the rest is always there for visits.
        self._minute = MovingWindowRateLimiter(MemoryStorage())
        self._writes = RateLimitItemPerMinute(max(1, int(account.writes_per_minute)), 1, "all")
        share = account.writes_per_minute * account.calendar_share
        self._calendar_writes = RateLimitItemPerMinute(max(1, int(share)), 1, "calendars")
        self._paused_until = 0.0  # the partner said the budget is spent until then
        self.calendars = Calendars(self._get)

    # -- the engine's interface ----------------------------------------------------

    async def deliver(self, op: Outbound) -> str | None:
        if op.kind is PartnerOpKind.PUBLISH_SLOTS:
            assert op.doctor is not None
            assert op.day is not None
            zone = ZoneInfo(op.zone)
            await self.publish(Address.parse(op.doctor), op.day, zone, op.periods, op.services)
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

    async def pull(self, keep: Keep) -> None:
        """`GET /notifications/multiple` until the queue is empty (404 "No notifications
        found"): each page is kept before the next is asked for, as a pulled notification
        leaves Docplanner's queue."""
        for _ in range(PULL_PAGES):
            try:
                data = await self._call("GET", "/notifications/multiple", params={"limit": "100"})
            except PartnerRefused as exc:
                if no_notifications(exc):
                    return
                raise
            found, remaining = notifications_of(data)
            notices = []
            for raw in found:
                try:
                    notices.append(parse_notice(raw))
                except ValueError as exc:
                    log.warning("docplanner notification skipped: %s", exc)
            if notices:
                await keep(notices)
            if not found or remaining <= 0:
                return

    async def resolve(self, notice: Notice) -> Notice:
        """A patient's booking names the address's own service: the dictionary service it
        offers is what the mappings know (none for a custom service)."""
        offered = notice.extra.get("address_service_id")
        if notice.service is not None or not offered or not notice.doctor:
            return notice
        address = Address.parse(notice.doctor)
        services = await self.calendars.services(address)
        if offered not in services:
            services = await self.calendars.services(address, fresh=True)
        service = services.get(offered)
        return replace(notice, service=service) if service else notice

    # -- operations ----------------------------------------------------------------

    async def publish(
        self,
        address: Address,
        day: date,
        zone: ZoneInfo,
        periods: Sequence[tuple[datetime, datetime]],
        services: Sequence[tuple[str, int]],
    ) -> None:
        """Replace one local day: its work periods, the rest of the day cleared. A day with
        none is deleted there, unless it holds no slots there anyway (a write saved)."""
        if not periods or not services:
            if await self.calendars.holds_slots(address, day, zone):
                await self._call(
                    "DELETE", f"{address.path}/slots/{day.isoformat()}", write=Write.CALENDAR
                )
                self.calendars.published(address, day, holds_slots=False)
            return
        offered = [(await self.calendars.own_service(address, sid), m) for sid, m in services]
        await self._call(
            "PUT",
            f"{address.path}/slots",
            json_body=slots_body(day, zone, periods, offered),
            write=Write.CALENDAR,
        )
        self.calendars.published(address, day, holds_slots=True)

    async def book(self, visit: Visit) -> str:
        address = Address.parse(visit.doctor)
        address_service = await self.calendars.own_service(address, visit.service)
        start = quote(stamp(visit.start_at), safe="")
        try:
            data = await self._call(
                "POST",
                f"{address.path}/slots/{start}/book",
                json_body=book_body(visit, address_service),
                write=Write.VISIT,
            )
        except PartnerRefused as exc:
            if exc.status == 404:  # the time is taken there (for now, or not published yet)
                raise PartnerConflict(str(exc), status=404) from None
            raise
        return booking_ref(address, id_of(data))

    async def move(self, ref: str, visit: Visit) -> str:
        """`POST .../move` (a new booking id); to another facility, or where Docplanner
        will not move it (422: paid through another account), cancelled and booked anew."""
        old, booking_id = parse_booking_ref(_known(ref))
        new = Address.parse(visit.doctor)
        if old.facility == new.facility:
            address_service = await self.calendars.own_service(new, visit.service)
            try:
                data = await self._call(
                    "POST",
                    f"{old.path}/bookings/{quote(booking_id, safe='')}/move",
                    json_body=move_body(visit, new, address_service),
                    write=Write.VISIT,
                )
            except PartnerRefused as exc:
                if exc.status != 422:
                    raise
            else:
                return booking_ref(new, id_of(data))
        await self.cancel(ref, "moved to another doctor")
        return await self.book(visit)

    async def cancel(self, ref: str, reason: str) -> None:
        address, booking_id = parse_booking_ref(_known(ref))
        try:
            await self._call(
                "DELETE",
                f"{address.path}/bookings/{quote(booking_id, safe='')}",
                json_body={"reason": reason or "cancelled at the clinic"},
                write=Write.VISIT,
            )
        except PartnerRefused as exc:
            if exc.status != 404:  # already gone there: what we wanted
                raise

    async def catalog(self) -> list[dict[str, str]]:
        """Facilities' doctors' addresses and the service dictionary, for mapping:
        `{"kind": "doctor"|"service", "id", "name"}` each."""
        found: list[dict[str, str]] = []
        for facility in items_of(await self._call("GET", "/facilities")):
            fid = quote(id_of(facility), safe="")
            for doctor in items_of(await self._call("GET", f"/facilities/{fid}/doctors")):
                did = quote(id_of(doctor), safe="")
                addresses = await self._call("GET", f"/facilities/{fid}/doctors/{did}/addresses")
                for address in items_of(addresses):
                    path = Address(id_of(facility), id_of(doctor), id_of(address))
                    name = f"{doctor.get('name', '')} {doctor.get('surname', '')}".strip()
                    found.append({"kind": "doctor", "id": path.id, "name": name})
        for service in items_of(await self._call("GET", "/services")):
            found.append(
                {"kind": "service", "id": id_of(service), "name": str(service.get("name"))}
            )
        return found

    async def _get(self, path: str, params: Mapping[str, str] | None) -> Any:
        return await self._call("GET", path, params=params)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        write: Write | None = None,
    ) -> Any:
        if write is not None:
            await self._take_write(write)
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

    async def _take_write(self, write: Write) -> None:
        """40 writes a minute, of which calendars may take only their share, so a visit
        never waits behind a republication; over it, the operation comes back later
        instead of waiting here."""
        wait = self._paused_until - time.monotonic()
        if wait > 0:
            raise PartnerUnavailable("write limit reached", retry_after=wait)
        limits = [self._writes] if write is Write.VISIT else [self._calendar_writes, self._writes]
        for limit in limits:  # a hit counts it at once: concurrent writes cannot all pass
            if not await self._minute.hit(limit, WRITES):
                stats = await self._minute.get_window_stats(limit, WRITES)
                wait = max(stats.reset_time - time.time(), 0.1)
                raise PartnerUnavailable("write limit reached", retry_after=wait)

    def _note_budget(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip() == "0":
            reset = reset_in_seconds(headers.get("x-ratelimit-reset"), datetime.now(UTC))
            self._paused_until = time.monotonic() + min(reset or 60.0, 3600.0)

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
