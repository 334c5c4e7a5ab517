"""Typed keys of the web app's state: handlers get services by key, never by import."""

from __future__ import annotations

import jinja2
from aiohttp import web

from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.db.database import Database
from core.patients.cards import PatientService
from core.schedule.search import SlotSearch
from core.schedule.templates import ScheduleService
from edge.twilio_rest import RetryPolicy, TwilioClient
from frontdesk.services import Services
from frontdesk.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SERVICES = web.AppKey("services", Services)
DATABASE = web.AppKey("database", Database)
CATALOG = web.AppKey("catalog", Catalog)
SEARCH = web.AppKey("search", SlotSearch)
BOOKING = web.AppKey("booking", BookingService)
PATIENTS = web.AppKey("patients", PatientService)
WAITLIST = web.AppKey("waitlist", WaitlistService)
SCHEDULE = web.AppKey("schedule", ScheduleService)
TWILIO_RETRY = web.AppKey("twilio_retry", RetryPolicy)  # tests swap in one that never sleeps
TWILIO_SMS = web.AppKey("twilio_sms", TwilioClient)  # with TWILIO_SMS_FROM
