"""What the public pages show: branches and the earliest free times, in each branch's zone.

Pure shaping of what the core returns (catalog rows, `FreeSlot`s) into
view models; the search itself is the core's `SlotSearch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers

from core.clinic.catalog import Catalog
from core.clinic.names import local_name
from core.models import Branch, Service
from core.schedule.feed import slot_link
from core.schedule.search import FreeSlot, SlotQuery, SlotSearch
from core.vocab import Channel, ServiceMode
from edge.i18n import Texts

# The public page is the clinic's own web channel: it sees what that channel may book.
CHANNEL = Channel.WEB
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class SlotView:
    start: str  # ISO 8601 with the branch's offset
    end: str
    day: str  # "Tue 01.12.2026", local
    time: str  # "08:15", local
    doctor_id: int
    doctor: str
    branch_id: int
    branch: str
    starts: datetime  # the same start, for the page to write in the reader's language
    timezone: str
    link: str  # the chat's deep link to this time (`core.schedule.feed.slot_link`)

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "doctor": {"id": self.doctor_id, "name": self.doctor},
            "branch": {"id": self.branch_id, "name": self.branch},
        }


@dataclass(frozen=True)
class ServiceView:
    code: str
    name: str
    minutes: int
    price: Decimal
    currency: str
    online: bool
    notes: list[str]
    slots: list[SlotView]


@dataclass(frozen=True)
class BranchView:
    name: str
    address: str
    city: str
    phone: str  # E.164, for tel: links
    timezone: str
    hours: list[tuple[int, str]]  # (weekday, Monday = 0; "08:00–20:00"), closed days left out

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


@dataclass(frozen=True)
class Overview:
    branches: list[BranchView]
    services: list[ServiceView]


def branch_view(branch: Branch) -> BranchView:
    hours = [
        (day, ", ".join(f"{a}–{b}" for a, b in branch.opening_hours[str(day)]))
        for day in range(7)
        if branch.opening_hours.get(str(day))
    ]
    return BranchView(
        branch.name, branch.address, branch.city, branch.phone, branch.timezone, hours
    )


def display_phone(e164: str) -> str:
    """`+48224221100` as people write it: `+48 22 422 11 00`."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    shown: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return shown


def restriction_notes(service: Service, texts: Texts | None = None) -> list[str]:
    """A service's restrictions in words, so a patient knows before choosing it: in the
    reader's language on the page, in English in the JSON API."""
    _ = (texts or Texts("en"))._
    notes = []
    if service.sex is not None:
        notes.append(_("women only") if service.sex == "F" else _("men only"))
    low, high = service.min_age, service.max_age
    if low is not None and high is not None:
        notes.append(_("age {low}–{high}", low=low, high=high))
    elif high is not None:
        notes.append(_("up to age {high}", high=high))
    elif low is not None:
        notes.append(_("from age {low}", low=low))
    if service.referral_required:
        notes.append(_("referral required"))
    if service.mode is ServiceMode.ONLINE:
        notes.append(_("online"))
    return notes


def service_json(service: Service) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "duration_minutes": service.duration_minutes,
        "price": str(service.price),
        "currency": service.currency,
        "online": service.mode is ServiceMode.ONLINE,
        "restrictions": restriction_notes(service),
    }


def slot_view(slot: FreeSlot, doctors: dict[int, str], branches: dict[int, str]) -> SlotView:
    start = slot.local_start()
    end = slot.end_at.astimezone(start.tzinfo)
    return SlotView(
        start=start.isoformat(),
        end=end.isoformat(),
        day=f"{WEEKDAYS[start.weekday()]} {start:%d.%m.%Y}",
        time=f"{start:%H:%M}",
        doctor_id=slot.doctor_id,
        doctor=doctors.get(slot.doctor_id, ""),
        branch_id=slot.branch_id,
        branch=branches.get(slot.branch_id, ""),
        starts=slot.start_at,
        timezone=slot.timezone,
        link=slot_link(slot.doctor_id, slot.start_at),
    )


async def earliest(
    catalog: Catalog, search: SlotSearch, service: Service, limit: int
) -> list[SlotView]:
    """The earliest free times of one service that the web channel may offer."""
    assert service.id is not None
    found = await search.find(SlotQuery(channel=CHANNEL, service_id=service.id, limit=limit))
    doctors = await catalog.doctor_names()
    branches = {b.id: b.name for b in await catalog.branches() if b.id is not None}
    return [slot_view(slot, doctors, branches) for slot in found]


async def overview(
    catalog: Catalog, search: SlotSearch, per_service: int, texts: Texts
) -> Overview:
    """Every branch, and every active service with its earliest free times."""
    branches = await catalog.branches()
    names = {b.id: b.name for b in branches if b.id is not None}
    doctors = await catalog.doctor_names()
    services = []
    for service in await catalog.services():
        assert service.id is not None
        found = await search.find(
            SlotQuery(channel=CHANNEL, service_id=service.id, limit=per_service)
        )
        services.append(
            ServiceView(
                code=service.code,
                name=local_name(service, texts.language),
                minutes=service.duration_minutes,
                price=service.price,
                currency=service.currency,
                online=service.mode is ServiceMode.ONLINE,
                notes=restriction_notes(service, texts),
                slots=[slot_view(slot, doctors, names) for slot in found],
            )
        )
    return Overview([branch_view(b) for b in branches], services)
