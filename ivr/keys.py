"""Typed key of the web app's state that the voice face adds."""

from __future__ import annotations

from aiohttp import web

from ivr.flow import Ivr

IVR = web.AppKey("ivr", Ivr)
