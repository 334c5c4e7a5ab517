"""Typed keys of the web app's state that the messenger face adds."""

from __future__ import annotations

from aiohttp import web

from bot.dialog import Dialog

DIALOG = web.AppKey("dialog", Dialog)
