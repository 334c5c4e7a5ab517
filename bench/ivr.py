"""Voice webhook latency on the demo clinic (issue 4; goal: p99 under 100 ms).

The app runs as `frontdesk serve` in its own process on a fresh copy of the demo
clinic (SQLite, or PostgreSQL with `--backend postgres` on BENCH_DATABASE_URL), with
Twilio's auth token set so every request is signature-checked as in production. This
process plays Twilio for `--callers` concurrent callers, `--calls` calls in all, each
walked as testkit/phone.py walks one (signed form posts, following the TwiML): a third
book a visit as new callers (spoken name, date of birth, specialty, service, "next
time", take, confirm: the slot search, the holds and the booking under contention), a
third hear the opening hours, a third queue for the desk and leave a callback request.
A caller waits `--think` seconds on average between steps (a person listening).

Reported: each webhook's latency (until Twilio has the TwiML), overall and by path.

    .venv/bin/python -m bench.ivr [--callers 20] [--calls 120] [--think 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import aiohttp

from bench.backends import provision
from bench.timing import Latency
from bench.webhook import _free_port, _process
from core.clock import SystemClock
from core.db.database import Database
from frontdesk.demo.seed import seed_demo
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from testkit.phone import PUBLIC, Phone

CLINIC_NUMBER = "+48222997700"  # the demo's Warsaw branch


class TimedPhone(Phone):
    """A caller whose every webhook is timed, by path, after a think time."""

    def __init__(self, http: Any, caller: str, samples: dict[str, list[float]], think: float):
        super().__init__(http, caller=caller, called=CLINIC_NUMBER)
        self.samples = samples
        self.think = think

    async def post(self, url: str, **fields: str) -> ElementTree.Element:
        if self.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.think)
        began = time.perf_counter()
        root = await super().post(url, **fields)
        self.samples[urlsplit(url).path].append(time.perf_counter() - began)
        return root


async def one_call(phone: TimedPhone, kind: int) -> bool:
    """One scripted call; True when it reached its goal (booked, informed, callback)."""
    await phone.dial()
    if kind == 0:
        await phone.press("4")
        goal = "Gather" in phone.verbs()
    elif kind == 1:
        await phone.press("0")
        if "Enqueue" in phone.verbs():
            await phone.wait_in_queue(seconds=90)
            await phone.press_while_waiting("1")
            await phone.leave_queue("leave")
        else:  # the desk is closed: the callback is offered at once
            await phone.press("1")
        goal = "Hangup" in phone.verbs()
    else:
        await phone.press("1")
        await phone.say("Jan Testowy")
        await phone.press("01021980")
        await phone.press("1")  # the first specialty
        if "Konsultacja" in phone.said() and "najbliższy" not in phone.said().lower():
            await phone.press("1")  # its first service
        await phone.press("2")  # the next time
        await phone.press("1")  # take it
        await phone.press("1")  # confirm
        goal = "zarezerwowana" in phone.said()
    await phone.hang_up()
    return goal


async def drive(
    base: str, callers: int, calls: int, think: float
) -> tuple[dict[str, list[float]], int, float]:
    samples: dict[str, list[float]] = defaultdict(list)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(calls):
        queue.put_nowait(n)
    done = 0

    async def caller(http: aiohttp.ClientSession) -> None:
        nonlocal done
        while not queue.empty():
            n = queue.get_nowait()
            phone = TimedPhone(http, f"+48600{n:06d}", samples, think)
            reached = await one_call(phone, n % 3)
            done += reached
            if not reached:
                print(f"call {n} missed its goal: {phone.heard[-2:]}", file=sys.stderr)

    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=callers)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        await asyncio.gather(*(caller(http) for _ in range(callers)))
    return samples, done, time.perf_counter() - began


async def run(backend: str, callers: int, calls: int, think: float) -> dict[str, Any]:
    frontdesk = str(Path(sys.executable).with_name("frontdesk"))
    async with provision(backend) as target:
        db = Database.from_url(target.url)
        await seed_demo(db, SystemClock())
        await db.dispose()
        port = _free_port()
        env = {
            "DATABASE_URL": target.url,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "RUN_WORKER_IN_PROCESS": "false",
            "LOG_LEVEL": "WARNING",
        }
        async with _process([frontdesk, "serve", "--port", str(port)], env, port) as base:
            samples, reached, wall = await drive(base, callers, calls, think)
    everything = [s for values in samples.values() for s in values]
    overall = Latency.of(everything)
    return {
        "backend": backend,
        "callers": callers,
        "calls": calls,
        "calls_reaching_their_goal": reached,
        "think_seconds": think,
        "load_average_1min_after": round(os.getloadavg()[0], 2),  # the machine may be shared
        "requests": overall.n,
        "requests_per_second": round(overall.n / wall, 1),
        "webhook_ms": _figures(overall),
        "by_path_ms": {path: _figures(Latency.of(v)) for path, v in sorted(samples.items())},
    }


def _figures(latency: Latency) -> dict[str, float]:
    return {"n": latency.n, **{p: round(getattr(latency, p), 1) for p in ("p50", "p95", "p99")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--think", type=float, default=0.5)
    args = parser.parse_args()
    print(
        json.dumps(asyncio.run(run(args.backend, args.callers, args.calls, args.think)), indent=2)
    )


if __name__ == "__main__":
    main()
