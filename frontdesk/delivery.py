"""The notification channels this deployment has credentials for, opened for the worker:
Telegram with a bot token, WhatsApp with the Twilio WhatsApp sender, SMS with an SMS
number. A channel without credentials is absent, and the dispatcher passes it by."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import TelegramSender
from bot.webchat.notify import WebChatSender
from bot.whatsapp.notify import SmsSender, WhatsAppSender
from core.messaging.port import Sender
from core.messaging.reminders import PlannerPolicy, QuietHours, ReminderPlanner
from core.vocab import Channel
from edge.twilio_rest import open_client
from frontdesk.faces import telegram_config, twilio_account
from frontdesk.services import Services
from frontdesk.settings import Settings


def worker_id() -> str:
    """Who holds a claim: the host and process, unique among live workers."""
    return f"{socket.gethostname()}:{os.getpid()}"


def planner(services: Services, settings: Settings) -> ReminderPlanner:
    quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)
    return ReminderPlanner(services.db, services.clock, PlannerPolicy(quiet=quiet))


@asynccontextmanager
async def open_senders(
    settings: Settings, services: Services
) -> AsyncIterator[dict[Channel, Sender]]:
    senders: dict[Channel, Sender] = {Channel.WEB: WebChatSender()}
    async with AsyncExitStack() as stack:
        if settings.telegram_bot_token:
            bot = make_bot(telegram_config(settings))
            stack.push_async_callback(bot.session.close)
            senders[Channel.TELEGRAM] = TelegramSender(
                bot, per_second=settings.telegram_messages_per_second
            )
        account = twilio_account(settings, settings.twilio_whatsapp_from)
        if account is not None:
            client = await stack.enter_async_context(open_client(account))
            senders[Channel.WHATSAPP] = WhatsAppSender(
                client, services.conversations, settings.twilio_whatsapp_content_sid
            )
        account = twilio_account(settings, settings.twilio_sms_from)
        if account is not None:
            senders[Channel.SMS] = SmsSender(await stack.enter_async_context(open_client(account)))
        yield senders
