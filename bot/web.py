"""Mounts the messenger face on the web app: Telegram, WhatsApp and the demo chat."""

from __future__ import annotations

from aiohttp import web


def setup_bot(app: web.Application) -> None:
    """Routes and lifecycles of every messenger adapter (each adds its own)."""
