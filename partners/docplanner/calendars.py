"""What Docplanner's calendars hold, read through the adapter's GET and kept: each
address's services (their own id to the dictionary's, both ways) and the days holding
slots there. A batch of operations asks at once: one read answers them all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from core.partners.port import PartnerRefused
from partners.docplanner.sansio import HORIZON, Address, id_of, items_of, stamp

Get = Callable[[str, Mapping[str, str] | None], Awaitable[Any]]
SLOT_DAYS_TTL = 600.0  # seconds a read of which days hold slots there is trusted


class Calendars:
    def __init__(self, get: Get) -> None:
        self._get = get
        self._services: dict[str, dict[str, str]] = {}  # address → own id → dictionary id
        self._slot_days: dict[str, _SlotDays] = {}
        self._written: dict[str, set[date]] = {}  # days we published slots on
        self._reading = asyncio.Lock()

    async def own_service(self, address: Address, service_id: str | None) -> str:
        """The address's own id for a dictionary service."""
        if service_id is None:
            raise PartnerRefused("the service is not mapped for Docplanner")
        for fresh in (False, True):
            offered = await self.services(address, fresh=fresh)
            for own, dictionary in offered.items():
                if dictionary == service_id:
                    return own
        raise PartnerRefused(f"service {service_id} is not offered at address {address.id}")

    async def services(self, address: Address, *, fresh: bool = False) -> dict[str, str]:
        """The address's services: their own id to the dictionary's (read once, and again
        when asked for one not known)."""
        asked = self._services.get(address.id)
        async with self._reading:
            known = self._services.get(address.id)
            if known is None or (fresh and known is asked):
                data = await self._get(f"{address.path}/services", None)
                known = {id_of(s): id_of(s.get("service_id")) for s in items_of(data) if id_of(s)}
                self._services[address.id] = known
            return known

    async def holds_slots(self, address: Address, day: date, zone: ZoneInfo) -> bool:
        """Whether a local day holds free slots there: one read of the horizon from that
        day, kept a while for the days after it, and what we wrote since (a read that
        began before a write may end after it)."""
        if day in self._written.get(address.id, ()):
            return True
        async with self._reading:
            kept = self._slot_days.get(address.id)
            if (
                kept is None
                or monotonic() - kept.read_at >= SLOT_DAYS_TTL
                or not kept.first <= day < kept.first + HORIZON
            ):
                kept = await self._read_slot_days(address, day, zone)
                self._slot_days[address.id] = kept
            return day in kept.days or day in self._written.get(address.id, ())

    def published(self, address: Address, day: date, *, holds_slots: bool) -> None:
        """What a write just made of a day there."""
        written = self._written.setdefault(address.id, set())
        if holds_slots:
            written.add(day)
            return
        written.discard(day)
        if (kept := self._slot_days.get(address.id)) is not None:
            kept.days.discard(day)

    async def _read_slot_days(self, address: Address, first: date, zone: ZoneInfo) -> _SlotDays:
        start = datetime.combine(first, time(), tzinfo=zone)
        window = {"start": stamp(start), "end": stamp(start + HORIZON)}
        try:
            data = await self._get(f"{address.path}/slots", window)
        except PartnerRefused as exc:
            if exc.status != 404:  # 404: "No slots found on given address"
                raise
            data = {}
        days = {s.astimezone(zone).date() for i in items_of(data) if (s := _start(i))}
        return _SlotDays(monotonic(), first, days)


@dataclass
class _SlotDays:
    read_at: float  # monotonic()
    first: date
    days: set[date]


def _start(slot: dict[str, Any]) -> datetime | None:
    value = slot.get("start")
    try:
        start = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return start if start is not None and start.tzinfo is not None else None
