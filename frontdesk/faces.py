"""What each face is told, built from the settings once: the faces never read the
settings, import nothing of this package, and get their configuration as arguments
and their runtime objects (the dialog, the phone flow, Twilio's clients) under their
own keys when the app starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

from aiohttp import web

from bot.telegram.config import TelegramConfig
from bot.whatsapp import keys as whatsapp
from edge.twilio_rest import TwilioAccount, open_client
from frontdesk import keys
from frontdesk.settings import Settings
from ivr.routes import VoiceConfig
from ivr.turn import IvrPolicy


def telegram_config(settings: Settings) -> TelegramConfig:
    return TelegramConfig(
        token=settings.telegram_bot_token,
        webhook_secret=settings.telegram_webhook_secret,
        public_base_url=settings.public_base_url,
        api_server=settings.telegram_api_server,
    )


def voice_config(settings: Settings) -> VoiceConfig:
    return VoiceConfig(
        auth_token=settings.twilio_auth_token, public_base_url=settings.public_base_url
    )


def ivr_policy(settings: Settings) -> IvrPolicy:
    return IvrPolicy(
        languages=dict(settings.ivr_languages),
        callback_offer_after=timedelta(seconds=settings.ivr_callback_offer_seconds),
    )


def twilio_account(settings: Settings, sender: str | None) -> TwilioAccount | None:
    """The account that sends from `sender`, or None while a credential or it is missing."""
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not (sid and token and sender):
        return None
    return TwilioAccount(sid=sid, token=token, sender=sender, api_base=settings.twilio_api_base)


def whatsapp_account(settings: Settings) -> TwilioAccount | None:
    """WhatsApp's sender for the web app; also needs the public URL its webhook is signed
    over (the worker's reminders do not)."""
    if settings.public_base_url is None:
        return None
    return twilio_account(settings, settings.twilio_whatsapp_from)


async def twilio_ctx(app: web.Application) -> AsyncIterator[None]:
    """The web app's Twilio REST clients: WhatsApp's (replies, codes) and, with
    TWILIO_SMS_FROM, SMS's (codes, the phone's confirmations), handed to the faces."""
    settings = app[keys.SETTINGS]
    retry = app[keys.TWILIO_RETRY]
    async with AsyncExitStack() as stack:
        account = whatsapp_account(settings)
        if account is not None:
            app[whatsapp.CLIENT] = await stack.enter_async_context(open_client(account, retry))
        account = twilio_account(settings, settings.twilio_sms_from)
        if account is not None:
            sms = await stack.enter_async_context(open_client(account, retry))
            app[whatsapp.SMS_CLIENT] = app[keys.TWILIO_SMS] = sms
        yield
