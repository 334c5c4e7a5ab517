"""GET /metrics for Prometheus, and the middleware that times every webhook.

The endpoint is off (404) until METRICS_TOKEN or METRICS_SOURCES is set; then a
scrape needs `Authorization: Bearer <METRICS_TOKEN>` or comes from one of the
METRICS_SOURCES networks (the client's address as `edge/forwarded.py` reads it).
Each scrape first reads the database's figures (`core/figures.py`), so every
process reports the shared queues; latencies are the process's own.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.figures import read_figures
from edge.forwarded import Network, networks, within
from edge.observe import CURRENT, Marks
from frontdesk import keys
from frontdesk.instruments import Instruments
from frontdesk.settings import Settings

INSTRUMENTS = web.AppKey("instruments", Instruments)
PATH = "/metrics"

# Webhook paths and the channel each serves; the voice menu's step is its path's tail.
CHANNELS = (
    ("/telegram/webhook", "telegram"),
    ("/twilio/whatsapp", "whatsapp"),
    ("/twilio/voice", "voice"),
    ("/demo/chat/send", "webchat"),
    ("/demo/phone/step", "demo_phone"),
)


def setup_metrics(app: web.Application, settings: Settings, instruments: Instruments) -> None:
    app[INSTRUMENTS] = instruments
    app.router.add_get(PATH, _endpoint(settings.metrics_token, networks(settings.metrics_sources)))


def webhook_timing(instruments: Instruments) -> Middleware:
    """Times each webhook by channel and step; every other request passes untouched."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        channel, path_step = _channel(request.path)
        if channel is None:
            return await handler(request)
        marks = Marks()
        token = CURRENT.set(marks)
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            CURRENT.reset(token)
            step = path_step or marks.step or "none"
            instruments.webhook_seconds.labels(channel, step).observe(time.perf_counter() - started)

    return middleware


def _channel(path: str) -> tuple[str | None, str | None]:
    for prefix, channel in CHANNELS:
        if path == prefix:
            return channel, "call" if channel == "voice" else None
        if channel == "voice" and path.startswith(prefix + "/"):
            tail = path[len(prefix) + 1 :]
            return channel, tail if tail.replace("/", "").isalpha() and len(tail) < 24 else "other"
    return None, None


def _endpoint(token: str | None, sources: Sequence[Network]) -> Handler:
    async def metrics(request: web.Request) -> web.StreamResponse:
        if not token and not sources:
            raise web.HTTPNotFound()
        if not (_bearer_matches(request, token) or within(request.remote, sources)):
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        instruments = request.app[INSTRUMENTS]
        services = request.app[keys.SERVICES]
        instruments.figures.db = services.db
        instruments.figures.figures = await read_figures(services.db, services.clock.now())
        return web.Response(
            body=generate_latest(instruments.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    return metrics


def _bearer_matches(request: web.Request, token: str | None) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer" or not given:
        return False
    return secrets.compare_digest(given.strip().encode(), token.encode())
