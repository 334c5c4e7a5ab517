"""Mounts the desk's face: the dashboard's pages, signing in and out, and the API."""

from __future__ import annotations

from aiohttp import web

from frontdesk.staff.api import setup_api
from frontdesk.staff.auth import setup_staff_auth
from frontdesk.staff.dashboard import setup_dashboard


def setup_staff(app: web.Application) -> None:
    setup_dashboard(app)
    setup_staff_auth(app)
    setup_api(app)
