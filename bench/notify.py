"""Reminder delivery on PostgreSQL (issue 5): capacity, the platform's ceiling, crashes.

Every run uses a fresh database and real `frontdesk worker` processes; this process
serves the fake Bot API they send to and watches the database.

- capacity: 10,000 due reminders to an unthrottled fake, 1 and 3 workers: reminders
  a second, duplicates, losses;
- ceiling: the fake enforces Telegram's limits (30 messages a second overall, 1 a second
  per chat, 429 with retry_after beyond); one worker at its default pace: the achieved
  rate as a fraction of 30, and how many 429s came back;
- crash: 3 workers over 10,000 reminders (of visits a day ahead), one killed (SIGKILL)
  at a random moment, in several rounds: duplicates, losses, how the survivors settled
  the reminders the kill caught mid-send (confirmed, resent, unresolved), and how long
  they took to settle everything after the kill (the claim lease,
  `NOTIFICATION_LEASE_SECONDS`, and the grace after it are 5 s here).

    .venv/bin/python -m bench.notify [--reminders 10000] [--rounds 3] [--only crash]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import asyncpg
from aiohttp.test_utils import TestServer

from core.clock import SystemClock
from core.db.database import Database
from core.vocab import DoubtOutcome, NotificationStatus
from migrations.apply import upgrade_async
from testkit.fakes.telegram.server import FakeTelegram
from testkit.notify_load import due_reminders, per_chat, run_workers, worker_env

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "frontdesk_bench_notify"
URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"


async def _fresh(count: int) -> Database:
    admin = await asyncpg.connect(ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    await upgrade_async(URL)
    db = Database.from_url(URL)
    await due_reminders(db, SystemClock(), count, visit_ahead=timedelta(days=1))
    return db


async def capacity(count: int, workers: int) -> dict[str, Any]:
    db = await _fresh(count)
    fake = FakeTelegram()
    async with TestServer(fake.app()) as api:
        fake.base_url = str(api.make_url("")).rstrip("/")
        began = time.perf_counter()
        settled, _ = await run_workers(db, count, worker_env(URL, fake, lease=60), workers=workers)
        seconds = time.perf_counter() - began
    got = per_chat(fake)
    await db.dispose()
    return {
        "workers": workers,
        "reminders": count,
        "seconds_with_start_up": round(seconds, 1),
        "steady_per_second": round(_steady(fake), 1),
        "sent": settled[NotificationStatus.SENT],
        "duplicates": sum(n - 1 for n in got.values()),
        "lost": count - len(got),
    }


def _steady(fake: FakeTelegram) -> float:
    """Messages a second from the first send to the last (process start-up left out)."""
    taken = [c.at for c in fake.calls if c.method == "sendMessage" and c.status == 200]
    return (len(taken) - 1) / (max(taken) - min(taken))


async def ceiling(count: int) -> dict[str, Any]:
    db = await _fresh(count)
    fake = FakeTelegram(throttle=True)
    async with TestServer(fake.app()) as api:
        fake.base_url = str(api.make_url("")).rstrip("/")
        env = worker_env(URL, fake, lease=60, per_second=30)
        began = time.perf_counter()
        await run_workers(db, count, env, workers=1, limit=count / 10 + 120)
        seconds = time.perf_counter() - began
    await db.dispose()
    steady = _steady(fake)
    return {
        "reminders": count,
        "seconds_with_start_up": round(seconds, 1),
        "steady_per_second": round(steady, 1),
        "fraction_of_30": round(steady / 30, 3),
        "responses_429": fake.throttled,
    }


def _reached(fake: FakeTelegram, messages: int) -> bool:
    return len(fake.calls) >= messages


async def crash(count: int, rounds: int) -> list[dict[str, Any]]:
    results = []
    for _ in range(rounds):
        db = await _fresh(count)
        fake = FakeTelegram()
        at = random.randint(count // 10, count * 8 // 10)
        async with TestServer(fake.app()) as api:
            fake.base_url = str(api.make_url("")).rstrip("/")
            settled, after_kill = await run_workers(
                db,
                count,
                worker_env(URL, fake, lease=5),
                kill_when=partial(_reached, fake, at),
                resolve_doubts=True,
                limit=900,  # a loaded machine: the bench reports the time, it does not judge it
            )
        got = per_chat(fake)
        await db.dispose()
        results.append(
            {
                "killed_after_messages": at,
                "duplicates": sum(n - 1 for n in got.values()),
                "lost": count - len(got),
                "sent": settled[NotificationStatus.SENT],
                "doubts_confirmed": settled[f"doubt:{DoubtOutcome.CONFIRMED}"],
                "doubts_resent": settled[f"doubt:{DoubtOutcome.RESENT}"],
                "doubts_unresolved": settled[f"doubt:{DoubtOutcome.UNRESOLVED}"],
                "seconds_to_settle_after_kill": round(after_kill or 0.0, 1),
            }
        )
    return results


async def main(count: int, rounds: int, only: str | None = None) -> dict[str, Any]:
    runs: dict[str, Callable[[], Awaitable[Any]]] = {
        "capacity": lambda: _both_capacities(count),
        "ceiling": lambda: ceiling(900),
        "crash": lambda: crash(count, rounds),
    }
    return {name: await run() for name, run in runs.items() if only in (None, name)}


async def _both_capacities(count: int) -> list[dict[str, Any]]:
    return [await capacity(count, 1), await capacity(count, 3)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("capacity", "ceiling", "crash"))
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.reminders, args.rounds, args.only)), indent=2))
