"""Every route of the web app, in one table."""

from __future__ import annotations

from aiohttp import web

from frontdesk import views
from frontdesk.dashboard import setup_dashboard


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views.index, name="index")
    app.router.add_get("/healthz", views.healthz, name="healthz")
    app.router.add_get("/api/v1/slots", views.slots, name="slots")
    setup_dashboard(app)
