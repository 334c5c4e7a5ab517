"""The worker's channels (frontdesk/delivery.py): Telegram paced alone without REDIS_URL,
through Redis with it, under the bot's numeric id and never its token's secret."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.telegram.notify import LocalPace, TelegramSender
from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import Channel
from edge.redis_pace import RedisPace
from frontdesk.delivery import open_senders, telegram_pace
from frontdesk.services import build_services
from frontdesk.settings import Settings
from tests.conftest import REDIS_URL

TOKEN = "987654321:AAE-secret-part"


async def test_telegram_paces_alone_without_redis_and_shares_with_it(
    db: Database, clock: FrozenClock
) -> None:
    paces = []
    for redis_url in (None, REDIS_URL):
        settings = Settings(telegram_bot_token=TOKEN, redis_url=redis_url, secret_key="k" * 32)
        async with open_senders(settings, build_services(db, clock, settings)) as senders:
            sender = senders[Channel.TELEGRAM]
            assert isinstance(sender, TelegramSender)
            paces.append(type(sender.pace))
    assert paces == [LocalPace, RedisPace]


async def test_the_shared_pace_is_kept_under_the_bot_id_only(redis: Redis) -> None:
    await redis.delete("frontdesk:telegram:987654321", "frontdesk:telegram:987654321:to:42")
    pace = telegram_pace(redis, Settings(telegram_bot_token=TOKEN))

    await pace.turn("42")

    found = await redis.keys("frontdesk:telegram:987654321*")
    keys = sorted(k.decode() if isinstance(k, bytes) else k for k in found)
    assert keys == ["frontdesk:telegram:987654321:all", "frontdesk:telegram:987654321:to:42"]
    assert not await redis.keys("*secret*")
