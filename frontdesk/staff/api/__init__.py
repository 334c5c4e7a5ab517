"""The staff API under `/api/v1` (JSON; OpenAPI document at `/api/v1/openapi.json`)."""

from __future__ import annotations

from aiohttp import web

from frontdesk.staff.api import (
    booking_links,
    bookings,
    callbacks,
    calls,
    documents,
    escalations,
    partners,
    patients,
    reminders,
    reports,
    schedules,
    staff,
    tasks,
    waitlist,
)
from frontdesk.staff.api.openapi import Api

MODULES = (
    bookings,
    patients,
    documents,
    escalations,
    callbacks,
    tasks,
    calls,
    waitlist,
    reminders,
    schedules,
    reports,
    staff,
    partners,
    booking_links,
)


def setup_api(app: web.Application) -> None:
    Api([op for module in MODULES for op in module.routes.operations]).setup(app)
