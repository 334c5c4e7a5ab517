"""A platform's send limits shared by every process, kept in Redis (pyrate-limiter's
GCRA over its Redis state store): an overall rate and a rate per key (a chat), each one
call per interval, evenly spaced (`burst=1`), so N workers together send no faster than
one would. Each `turn` waits, without blocking the loop, until both admit the call.
`RedisSenderPace` is the overall rate alone, as Twilio counts one sender's messages.

The key's turn is taken first, then the overall one, as `LocalPace` does: a chat's
next call waits its second before it queues for the overall rate. Two processes
calling one chat at the same moment can still see the overall queue reorder them (two
turns less than a second apart: Telegram tolerates short bursts per chat).

The overall state is one Redis hash; each key's is another, expiring on its own once
the key is quiet. The algorithm reads the wall clock of the process asking, so keep
the hosts' clocks in sync (NTP).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pyrate_limiter import GCRA, Limiter, Rate, RateItem, RedisStateStore, StateBucket
from pyrate_limiter.abstracts import AbstractBucket, BucketFactory
from redis.asyncio import Redis

# pyrate-limiter sleeps this much beyond the computed wait; its default 50 ms would slow
# a 34 ms spacing to 84.
BUFFER_MS = 1
KEYS_KEPT = 10_000  # per-key buckets held in memory; their state lives in Redis


class _PerKey(BucketFactory):
    """A GCRA bucket per key, its state in Redis under `<prefix>:<key>`."""

    def __init__(self, redis: Redis, prefix: str, rate: Rate) -> None:
        self.redis, self.prefix, self.rate = redis, prefix, rate
        self._buckets: dict[str, StateBucket] = {}

    def wrap_item(self, name: str, weight: int = 1) -> RateItem:
        now: int = self._bucket(name).now()  # type: ignore[no-untyped-call]
        return RateItem(name, now, weight=weight)

    def get(self, item: RateItem) -> AbstractBucket:
        return self._bucket(item.name)

    def _bucket(self, key: str) -> StateBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= KEYS_KEPT:
                self._buckets.clear()
            store = RedisStateStore(self.redis, f"{self.prefix}:{key}")
            bucket = self._buckets[key] = StateBucket([self.rate], GCRA(), store)
        return bucket


class RedisPace:
    """`core.messaging.port.Pace` across processes: `per_second` overall, one call per
    `per_key_seconds` to one key."""

    def __init__(
        self, redis: Redis, namespace: str, *, per_second: float, per_key_seconds: float
    ) -> None:
        overall = Rate(1, max(round(1000 / per_second), 1), burst=1)
        self._overall = Limiter(_PerKey(redis, namespace, overall), buffer_ms=BUFFER_MS)
        per_key = Rate(1, max(round(per_key_seconds * 1000), 1), burst=1)
        self._per_key = Limiter(_PerKey(redis, f"{namespace}:to", per_key), buffer_ms=BUFFER_MS)

    async def turn(self, key: str) -> None:
        await self._per_key.try_acquire_async(key, blocking=True)
        await self._overall.try_acquire_async("all", blocking=True)


class RedisSenderPace:
    """One sender's pace across processes (Twilio's limit per number): `per_second`
    messages, evenly spaced, whichever process sends them; the SMS sender's `turn`."""

    def __init__(self, redis: Redis, namespace: str, *, per_second: float) -> None:
        rate = Rate(1, max(round(1000 / per_second), 1), burst=1)
        self._limiter = Limiter(_PerKey(redis, namespace, rate), buffer_ms=BUFFER_MS)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        await self._limiter.try_acquire_async("all", blocking=True)
        yield
