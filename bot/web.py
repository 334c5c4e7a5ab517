"""Mounts the messenger face on the web app: Telegram, WhatsApp and the demo chat."""

from __future__ import annotations

from aiohttp import web

from bot.telegram import routes as telegram
from bot.webchat import routes as webchat
from bot.whatsapp import routes as whatsapp


def setup_bot(app: web.Application) -> None:
    """Routes and lifecycles of every messenger adapter (each adds its own)."""
    telegram.setup(app)
    whatsapp.setup(app)
    webchat.setup(app)
