"""The notification channels this deployment has credentials for, opened for the worker:
Telegram with a bot token, WhatsApp with the Twilio WhatsApp sender, SMS with an SMS
number. A channel without credentials is absent, and the dispatcher passes it by.

With REDIS_URL, Telegram's limits (TELEGRAM_MESSAGES_PER_SECOND overall, one a second
per chat) are shared by every worker through Redis; without it each process keeps them
alone, as one process should."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from redis.asyncio import Redis

from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import PER_CHAT_SECONDS, SAFETY, TelegramSender
from bot.webchat.notify import WebChatSender
from bot.whatsapp.notify import SMS_SHARED_SHARE, SenderPace, SmsSender, Turns, WhatsAppSender
from core.messaging.port import Pace, Sender
from core.messaging.reminders import PlannerPolicy, ReminderPlanner
from core.quiet import QuietHours
from core.vocab import Channel
from edge.redis_pace import RedisPace, RedisSenderPace
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
        redis: Redis | None = None
        if settings.redis_url:  # the send limits shared by every process
            redis = Redis.from_url(settings.redis_url)
            stack.push_async_callback(redis.aclose)
        if settings.telegram_bot_token:
            bot = make_bot(telegram_config(settings))
            stack.push_async_callback(bot.session.close)
            pace: Pace | None = None if redis is None else telegram_pace(redis, settings)
            senders[Channel.TELEGRAM] = TelegramSender(
                bot, per_second=settings.telegram_messages_per_second, pace=pace
            )
        account = twilio_account(settings, settings.twilio_whatsapp_from)
        if account is not None:
            client = await stack.enter_async_context(open_client(account))
            senders[Channel.WHATSAPP] = WhatsAppSender(
                client, services.conversations, settings.twilio_whatsapp_content_sid
            )
        account = twilio_account(settings, settings.twilio_sms_from)
        if account is not None:
            client = await stack.enter_async_context(open_client(account))
            senders[Channel.SMS] = SmsSender(client, sms_pace(redis, settings))
        yield senders


def sms_pace(redis: Redis | None, settings: Settings) -> Turns:
    """The SMS sender's pace: this process's own, or shared in Redis under the number."""
    if redis is None:
        return SenderPace(settings.twilio_sms_per_second)
    return RedisSenderPace(
        redis,
        f"frontdesk:twilio:sms:{settings.twilio_sms_from}",
        per_second=settings.twilio_sms_per_second * SMS_SHARED_SHARE,
    )


def telegram_pace(redis: Redis, settings: Settings) -> RedisPace:
    """The bot's limits in Redis, under its numeric id (never the token's secret part)."""
    bot_id = (settings.telegram_bot_token or "").split(":", 1)[0]
    return RedisPace(
        redis,
        f"frontdesk:telegram:{bot_id}",
        per_second=settings.telegram_messages_per_second / SAFETY,
        per_key_seconds=PER_CHAT_SECONDS,
    )
