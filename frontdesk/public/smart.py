"""The free slots as a SMART Scheduling Links feed, for aggregators.

`GET /smart/$bulk-publish` is the manifest; it points at three NDJSON files of
FHIR R4 resources: Location (a branch), Schedule (a doctor at a branch) and
Slot (free, with a deep link into the Telegram bot and the branch's phone).
Aggregators poll at most once a minute: the feed is built at most once a minute
(one build at a time), served with `Cache-Control: max-age` and a strong ETag,
and a matching `If-None-Match` gets 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from aiohttp import web

from core.schedule.feed import Feed, FeedService, FeedSlot, FeedSpecialty
from frontdesk import keys

EXTENSIONS = "http://fhir-registry.smarthealthit.org/StructureDefinition/"
MAX_AGE_SECONDS = 60
NDJSON = "application/fhir+ndjson"
FILES = {"Location": "locations", "Schedule": "schedules", "Slot": "slots"}
SPECIALTIES = "urn:frontdesk:specialty"  # our specialty codes (no public code system fits)
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"  # FHIR's own extension


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed sends a patient: the bot (when its username is known)."""

    bot_username: str | None = None

    def deep_link(self, slot: FeedSlot) -> str | None:
        if not self.bot_username:
            return None
        return f"https://t.me/{self.bot_username}?start={slot.link_payload()}"


def resources(feed: Feed, links: FeedLinks) -> dict[str, list[dict[str, Any]]]:
    """The feed's FHIR resources by type."""
    phones = {location.id: location.phone for location in feed.locations}
    schedules = {s.id: s for s in feed.schedules}
    return {
        "Location": [
            {
                "resourceType": "Location",
                "id": str(location.id),
                "name": location.name,
                **_translated("name", location.names),
                "telecom": [{"system": "phone", "value": location.phone}],
                "address": {
                    "line": [location.address],
                    "city": location.city,
                    "country": "PL",
                },
            }
            for location in feed.locations
        ],
        "Schedule": [
            {
                "resourceType": "Schedule",
                "id": schedule.id,
                "actor": [{"reference": f"Location/{schedule.branch_id}"}],
                "serviceType": [_service_type(s) for s in schedule.specialties],
                "comment": schedule.doctor,
                **_translated("comment", schedule.doctors),
            }
            for schedule in feed.schedules
        ],
        "Slot": [
            _slot(slot, links, phones.get(schedules[slot.schedule_id].branch_id, ""))
            for slot in feed.slots
        ],
    }


def _service_type(specialty: FeedSpecialty) -> dict[str, Any]:
    """A specialty's coding: the Polish name displayed, its translations on the display."""
    coding: dict[str, Any] = {
        "system": SPECIALTIES,
        "code": specialty.code,
        "display": specialty.name,
        **_translated("display", specialty.names),
    }
    return {"coding": [coding]}


def _translated(field: str, names: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A text field's translations in FHIR's translation extension on the field's
    primitive element (`_name`, `_comment`, `_display`); the field itself stays Polish,
    every language's fallback. Nothing when there is no translation."""
    extensions = [
        {
            "url": TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": language},
                {"url": "content", "valueString": text},
            ],
        }
        for language, text in names
        if language != "pl"
    ]
    return {f"_{field}": {"extension": extensions}} if extensions else {}


def _slot(slot: FeedSlot, links: FeedLinks, phone: str) -> dict[str, Any]:
    extensions: list[dict[str, str]] = []
    if (link := links.deep_link(slot)) is not None:
        extensions.append({"url": EXTENSIONS + "booking-deep-link", "valueUrl": link})
    if phone:
        extensions.append({"url": EXTENSIONS + "booking-phone", "valueString": phone})
    return {
        "resourceType": "Slot",
        "id": slot.id,
        "schedule": {"reference": f"Schedule/{slot.schedule_id}"},
        "status": "free",
        "start": slot.start_at.astimezone(UTC).isoformat(),
        "end": slot.end_at.astimezone(UTC).isoformat(),
        **({"extension": extensions} if extensions else {}),
    }


def ndjson(items: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(i, ensure_ascii=False).encode() + b"\n" for i in items)


@dataclass(frozen=True)
class _Built:
    at: float
    transaction_time: str
    files: dict[str, bytes]  # "locations" → NDJSON

    def manifest(self, base_url: str) -> dict[str, Any]:
        """The manifest for this address (built per request: nothing cached depends on
        the Host a client sent)."""
        return {
            "transactionTime": self.transaction_time,
            "request": f"{base_url}/smart/$bulk-publish",
            "output": [
                {"type": kind, "url": f"{base_url}/smart/{name}.ndjson"}
                for kind, name in FILES.items()
            ],
            "error": [],
        }


class SmartFeed:
    """Builds the feed at most once per `max_age` (one build at a time) and serves it."""

    def __init__(self, service: FeedService, days: int, bot_username: str | None) -> None:
        self.service = service
        self.days = days
        self.bot_username = bot_username
        self._built: _Built | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> _Built:
        async with self._lock:
            built = self._built
            if built is None or time.monotonic() - built.at >= MAX_AGE_SECONDS:
                built = self._built = await self._build()
            return built

    async def _build(self) -> _Built:
        feed = await self.service.snapshot(self.days)
        by_type = resources(feed, FeedLinks(self.bot_username))
        files = {FILES[kind]: ndjson(items) for kind, items in by_type.items()}
        stamp = feed.generated_at.astimezone(UTC).isoformat()
        return _Built(time.monotonic(), stamp, files)


SMART_FEED = web.AppKey("smart_feed", SmartFeed)


def _base_url(request: web.Request) -> str:
    configured = request.app[keys.SETTINGS].public_base_url
    return configured or f"{request.scheme}://{request.host}"


def _cached(request: web.Request, body: bytes, content_type: str) -> web.Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


async def manifest(request: web.Request) -> web.Response:
    built = await request.app[SMART_FEED].current()
    body = json.dumps(built.manifest(_base_url(request))).encode()
    return _cached(request, body, "application/json")


async def feed_file(request: web.Request) -> web.Response:
    built = await request.app[SMART_FEED].current()
    body = built.files.get(request.match_info["name"])
    if body is None:
        raise web.HTTPNotFound()
    return _cached(request, body, NDJSON)
