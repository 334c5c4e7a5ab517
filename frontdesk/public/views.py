"""Request handlers: parse the input, call the core through the app's services, render.

Errors are not handled here: `edge.errors` translates them for every route.
"""

from __future__ import annotations

import asyncio
import logging

import jinja2
from aiohttp import web
from sqlalchemy import text

from edge.errors import InvalidParameter, MissingParameter
from edge.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Texts,
    accepted_language,
    pick_language,
)
from edge.responses import json_response
from edge.templates import localized
from frontdesk import keys
from frontdesk.public.overview import earliest, overview, service_json

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 5.0
SLOTS_DEFAULT_LIMIT = 5
SLOTS_MAX_LIMIT = 20
SERVICE_CODE_MAX = 50
PAGE_SLOTS_PER_SERVICE = 3


async def healthz(request: web.Request) -> web.Response:
    """Liveness and the database behind it (a real `SELECT 1`), for load balancers."""
    db = request.app[keys.SERVICES].db
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready": say so, never how
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return json_response({"status": "error", "database": "unreachable"}, status=503)
    return json_response({"status": "ok", "database": "ok"})


async def index(request: web.Request) -> web.Response:
    """The clinic at a glance, in the reader's language (`?lang=`, else the browser's,
    else Polish): branches, and the earliest free times of each service, each opening
    the chat on that time."""
    app = request.app
    language = pick_language(request.query.get("lang")) or accepted_language(
        request.headers.get("Accept-Language", "")
    )
    language = language or DEFAULT_LANGUAGE
    services = app[keys.SERVICES]
    page = await overview(
        services.catalog, services.search, PAGE_SLOTS_PER_SERVICE, Texts(language)
    )
    html = (
        app[keys.PAGES][language]
        .get_template("index.html")
        .render(
            overview=page, lang=language, languages=LANGUAGE_NAMES, demo=app[keys.SETTINGS].demo
        )
    )
    return web.Response(text=html, content_type="text/html")


async def slots(request: web.Request) -> web.Response:
    """`GET /api/v1/slots?service=CODE&limit=N`: the earliest free times of a service."""
    code = request.query.get("service", "").strip()
    if not code:
        raise MissingParameter("the service parameter is required", field="service")
    if len(code) > SERVICE_CODE_MAX:
        raise InvalidParameter("service code too long", field="service")
    limit = _limit(request.query.get("limit"))
    catalog = request.app[keys.SERVICES].catalog
    service = await catalog.service_by_code(code)
    found = await earliest(catalog, request.app[keys.SERVICES].search, service, limit)
    return json_response(
        {"service": service_json(service), "slots": [slot.as_json() for slot in found]}
    )


def pages() -> dict[str, jinja2.Environment]:
    """The public pages' templates, one environment per language."""
    return {
        language: localized("frontdesk.public", "templates", language) for language in LANGUAGES
    }


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return SLOTS_DEFAULT_LIMIT
    message = f"limit must be an integer from 1 to {SLOTS_MAX_LIMIT}"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
        raise InvalidParameter(message, field="limit")
    value = int(raw)
    if not 1 <= value <= SLOTS_MAX_LIMIT:
        raise InvalidParameter(message, field="limit")
    return value
