"""Typed keys of the web app's state that the WhatsApp face reads: the Twilio REST
clients the composition root opens at start and hands over (absent when not configured)."""

from __future__ import annotations

from aiohttp import web

from edge.twilio_rest import TwilioClient

CLIENT = web.AppKey("whatsapp_client", TwilioClient)  # the WhatsApp sender's
SMS_CLIENT = web.AppKey("whatsapp_sms_client", TwilioClient)  # TWILIO_SMS_FROM's: codes by SMS
