"""Typed keys of the web app's state that the phone face adds: the voice menu, the
replies to text messages."""

from __future__ import annotations

from aiohttp import web

from core.messaging.sms_replies import SmsReplies
from ivr.flow import Ivr

IVR = web.AppKey("ivr", Ivr)
SMS_REPLIES = web.AppKey("sms_replies", SmsReplies)
