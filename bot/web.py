"""Mounts the messenger face on the web app: Telegram, WhatsApp, the signed calendar
links, and the demo chat when the root asks for it (never in production by default)."""

from __future__ import annotations

from aiohttp import web

from bot.calendar import CalendarLinks, visit_file
from bot.keys import DIALOG
from bot.telegram import routes as telegram
from bot.telegram.config import TelegramConfig
from bot.webchat import routes as webchat
from bot.whatsapp import routes as whatsapp
from core.errors import NotFound


def setup_bot(
    app: web.Application,
    telegram_config: TelegramConfig,
    public_base_url: str | None,
    *,
    demo: bool = False,
) -> None:
    """Routes and lifecycles of every messenger adapter (each adds its own); the demo
    chat, where anyone plays any patient, only with `demo`."""
    telegram.setup(app, telegram_config)
    whatsapp.setup(app, public_base_url)
    if demo:
        webchat.setup(app)
    app.router.add_get(CalendarLinks.PATH, calendar_file, name="calendar_file")


async def calendar_file(request: web.Request) -> web.Response:
    """A visit's .ics by a signed link; anything forged, expired or cancelled is 404 alike."""
    services = request.app[DIALOG].services
    links = services.calendar_links
    now = services.clock.now()
    booking_id = links.booking_id(request.match_info["token"], now) if links else None
    if booking_id is None:
        raise web.HTTPNotFound()
    try:
        visit = await services.booking.get(booking_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    if not visit.status.active:
        raise web.HTTPNotFound()
    file = await visit_file(services.catalog, visit, now)
    return web.Response(
        body=file.content,
        content_type=file.mime,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
