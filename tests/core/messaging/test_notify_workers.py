"""Three `frontdesk worker` processes share 10,000 due reminders on PostgreSQL: each is sent
exactly once, and killing one of them mid-run (SIGKILL) loses nothing the survivors could
know about and duplicates nothing. The provider is the fake Bot API on loopback.

PostgreSQL only: SQLite's one writer makes this a queue, not a race.
"""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpServer

from core.messaging.notifications import DeliveryPolicy
from core.vocab import NotificationStatus
from testkit.fakes.telegram.server import FakeTelegram
from testkit.notify_load import (
    FIRST_CHAT,
    due_reminders,
    in_doubt,
    per_chat,
    run_workers,
    worker_env,
)

REMINDERS = 10_000


@pytest.fixture
async def fake(aiohttp_server: AiohttpServer) -> FakeTelegram:
    fake = FakeTelegram()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    return fake


async def test_three_workers_send_10000_reminders_exactly_once(db, clock, database_url, fake):
    if db.is_sqlite:
        pytest.skip("the race between workers is PostgreSQL's")
    await due_reminders(db, clock, REMINDERS)

    settled, _ = await run_workers(db, REMINDERS, worker_env(database_url, fake, lease=60))

    assert settled == {NotificationStatus.SENT: REMINDERS}
    got = per_chat(fake)
    assert len(got) == REMINDERS
    assert set(got.values()) == {1}


async def test_a_killed_worker_duplicates_nothing_and_its_doubts_are_told(
    db, clock, database_url, fake
):
    if db.is_sqlite:
        pytest.skip("the race between workers is PostgreSQL's")
    await due_reminders(db, clock, REMINDERS)
    env = worker_env(database_url, fake, lease=2)

    settled, _ = await run_workers(db, REMINDERS, env, kill_when=lambda: len(fake.calls) >= 2_000)

    got = per_chat(fake)
    assert max(got.values()) == 1  # never a second message to anyone
    doubtful = await in_doubt(db)
    # Everything is sent, except what the dead worker was handing to the provider when it
    # died: those are marked in doubt, never resent; at most as many as it sent at once.
    assert settled[NotificationStatus.SENT] + len(doubtful) == REMINDERS
    policy = DeliveryPolicy()
    assert len(doubtful) <= policy.batch * policy.lanes
    assert set(got) | doubtful == set(range(FIRST_CHAT, FIRST_CHAT + REMINDERS))
