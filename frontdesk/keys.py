"""Typed keys of the root's own state (its web pages, the API and the dashboard): every
core service under one key, `SERVICES`, built once in `frontdesk/services.py`."""

from __future__ import annotations

import jinja2
from aiohttp import web

from core.clock import Clock
from edge.twilio_rest import RetryPolicy, TwilioClient
from frontdesk.services import Services
from frontdesk.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
PAGES = web.AppKey("public_pages", dict[str, jinja2.Environment])  # one per language
SERVICES = web.AppKey("services", Services)
TWILIO_RETRY = web.AppKey("twilio_retry", RetryPolicy)  # tests swap in one that never sleeps
TWILIO_SMS = web.AppKey("twilio_sms", TwilioClient)  # with TWILIO_SMS_FROM
