"""Send limits shared through Redis (edge/redis_pace.py), against the local Redis and the
fake Telegram enforcing Telegram's limits (30 a second overall, one a second per chat)
and the fake Twilio enforcing a sender's: two workers pacing themselves apart exceed them
together, two sharing one pace do not."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis.asyncio import Redis

from bot.telegram.config import TelegramConfig
from bot.telegram.lifecycle import make_bot
from bot.telegram.notify import PER_CHAT_SECONDS, TelegramSender
from bot.whatsapp.notify import SMS_SHARED_SHARE, SenderPace, SmsSender, Turns
from core.messaging.port import STAFF_REPLY, Outgoing, Pace
from edge.redis_pace import RedisPace, RedisSenderPace
from edge.twilio_rest import RetryPolicy, TwilioAccount, open_client
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, FakeTwilio
from testkit.messengers import no_sleep

# Each worker's pace, under Telegram's 30 a second with room for a loaded machine's jitter:
# two workers pacing themselves apart send 40 a second together, sharing a pace 20.
PER_SECOND = 20
MESSAGE = Outgoing(topic=STAFF_REPLY, language="pl", text="Dzień dobry")
# Twilio counts one sender's SMS: 20 a second here, so the test takes seconds, not tens.
SMS_PER_SECOND = 20


@pytest.fixture
def limited(telegram: FakeTelegram) -> FakeTelegram:
    telegram.throttle = True
    return telegram


async def _two_workers_send(
    fake: FakeTelegram, paces: list[Pace | None], chats: list[list[int]]
) -> None:
    """Each worker sends to each of its chats at once, as two workers' passes would."""
    bots = [make_bot(TelegramConfig(token=fake.token, api_server=fake.base_url)) for _ in paces]
    try:
        senders = [
            TelegramSender(bot, per_second=PER_SECOND, pace=pace)
            for bot, pace in zip(bots, paces, strict=True)
        ]
        await asyncio.gather(
            *(
                sender.send(str(chat), MESSAGE)
                for sender, its_chats in zip(senders, chats, strict=True)
                for chat in its_chats
            ),
            return_exceptions=True,  # a 429 is the sender's TryLater: counted by the fake
        )
    finally:
        for bot in bots:
            await bot.session.close()


def _pace(redis: Redis, namespace: str) -> RedisPace:
    return RedisPace(redis, namespace, per_second=PER_SECOND, per_key_seconds=PER_CHAT_SECONDS)


async def test_workers_pacing_themselves_apart_exceed_the_overall_limit(
    limited: FakeTelegram,
) -> None:
    await _two_workers_send(limited, [None, None], [list(range(1, 41)), list(range(41, 81))])
    assert limited.throttled > 0  # each kept its 20 a second: 40 together


async def test_workers_sharing_a_pace_keep_the_overall_limit(
    limited: FakeTelegram, redis: Redis
) -> None:
    namespace = f"test:{secrets.token_hex(4)}"

    await _two_workers_send(
        limited,
        [_pace(redis, namespace), _pace(redis, namespace)],
        [list(range(1, 41)), list(range(41, 81))],
    )

    assert limited.throttled == 0
    assert len(limited.calls_of("sendMessage")) == 80


async def test_workers_sharing_a_pace_keep_one_a_second_per_chat(
    limited: FakeTelegram, redis: Redis
) -> None:
    namespace = f"test:{secrets.token_hex(4)}"

    await _two_workers_send(
        limited, [_pace(redis, namespace), _pace(redis, namespace)], [[7, 8], [7, 8]]
    )

    assert limited.throttled == 0
    assert len(limited.calls_of("sendMessage")) == 4


async def _two_sms_workers_send(fake: FakeTwilio, paces: list[Turns]) -> None:
    """Two workers' SMS senders, each texting 40 numbers at once, to one Twilio sender."""
    account = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, fake.base_url)
    message = Outgoing("reminder", "pl", "Przychodnia: jutro 08:00.")
    async with (
        open_client(account, RetryPolicy(attempts=1, sleep=no_sleep)) as one,
        open_client(account, RetryPolicy(attempts=1, sleep=no_sleep)) as other,
    ):
        senders = [SmsSender(one, paces[0]), SmsSender(other, paces[1])]
        await asyncio.gather(
            *(
                sender.send(f"+48501{w}{n:05d}", message)
                for w, sender in enumerate(senders)
                for n in range(40)
            ),
            return_exceptions=True,  # a 429 is the sender's TryLater: counted by the fake
        )


async def test_sms_workers_pacing_themselves_apart_exceed_the_senders_limit(
    twilio: FakeTwilio,
) -> None:
    twilio.sms_per_second = SMS_PER_SECOND
    await _two_sms_workers_send(twilio, [SenderPace(SMS_PER_SECOND), SenderPace(SMS_PER_SECOND)])
    assert twilio.throttled > 0  # each kept the sender's limit: twice it together


async def test_sms_workers_sharing_a_pace_keep_the_senders_limit(
    twilio: FakeTwilio, redis: Redis
) -> None:
    twilio.sms_per_second = SMS_PER_SECOND
    namespace = f"test:sms:{secrets.token_hex(4)}"
    shared = SMS_PER_SECOND * SMS_SHARED_SHARE
    await _two_sms_workers_send(
        twilio,
        [
            RedisSenderPace(redis, namespace, per_second=shared),
            RedisSenderPace(redis, namespace, per_second=shared),
        ],
    )
    assert (len(twilio.messages), twilio.throttled) == (80, 0)
