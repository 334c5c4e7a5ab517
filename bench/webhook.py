"""Telegram webhook latency under 100 concurrent chats on the demo clinic (issue 3).

The app runs as `frontdesk serve` in its own process on a fresh SQLite copy of
the demo clinic, exactly as deployed; this process plays Telegram: it posts
real-shaped updates to the webhook and serves the fake Bot API the app sends
its replies to. Each chat books a visit as a new patient (/start, book,
service (for a child's, the child's name and birth date), branch, day, time, name,
date of birth, contact, confirm), pressing
the buttons the bot really sent, and waits for the bot's reply before its
next tap, after a think time (`--think`, seconds on average; 0 taps at once,
which measures saturation rather than chats at a human pace).

One booking runs first and is not counted (a warm server: statements compiled,
pages read). Reported: the webhook's latency (until Telegram has our 200), the reply's
latency (until the bot's first message reached the fake Bot API: what the
patient waits for), and a bare aiohttp handler, also in its own process,
driven by the same chats at the same pace: the ratio shows what the dialog,
the database and the replies add.

    .venv/bin/python -m bench.webhook [--chats 100] [--think 2.0]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--serves 2]

With `--postgres` the demo clinic goes to a database of its own on that server
(dropped afterwards); `--serves N` starts N `serve` processes over the one database,
the chats spread over them as a reverse proxy would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.timing import Latency
from bot.telegram.routes import SECRET_HEADER
from core.clock import SystemClock
from core.db.database import Database, create_engine
from edge.i18n import Texts
from frontdesk.demo.seed import seed_demo
from migrations.apply import upgrade_async
from testkit.fakes.telegram.server import TOKEN, FakeTelegram

SECRET = "bench-webhook-secret"  # noqa: S105 (a fake, for the loopback run only)
REPLY_LIMIT = 30.0  # seconds a chat waits for the bot's answer before it gives up
TIME_TRIES = 5  # times a chat taps before it gives up on booking
TAKEN = Texts("pl")._("Sorry, someone has just taken that time. Here are the free ones:")


class GaveUp(Exception):
    """The button a chat wanted is gone: a time taken by another chat meanwhile."""


@dataclass
class Samples:
    webhook: list[float] = field(default_factory=list)
    reply: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)  # webhook latency by step


class Mailbox:
    """The bot's messages by chat, each call of the fake Bot API read once.

    A hundred chats check for their answer at every call the bot makes: scanning
    every call each time would make this process, not the server, the bottleneck.
    """

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake, self.read = fake, 0
        self.by_chat: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)

    def of(self, chat_id: int) -> list[dict[str, Any]]:
        calls = self.fake.calls
        for call in calls[self.read :]:
            if call.method.lower() == "sendmessage":
                self.by_chat[call.params.get("chat_id", 0)].append(call.params)
        self.read = len(calls)
        return self.by_chat[chat_id]


class Chat:
    """One Telegram user at a human pace, reading its answers off the fake Bot API."""

    def __init__(
        self, http: aiohttp.ClientSession, url: str, mail: Mailbox, chat_id: int, think: float
    ) -> None:
        self.http, self.url, self.mail, self.chat_id, self.think = http, url, mail, chat_id, think
        self.fake = mail.fake

    def _messages(self) -> list[dict[str, Any]]:
        return self.mail.of(self.chat_id)

    async def post(
        self, step: str, update: dict[str, Any], out: Samples, *, keyboard: bool = True
    ) -> dict[str, Any]:
        """Send one update as the patient; the bot's first reply to it."""
        if self.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.think)
        before = len(self._messages())
        began = time.perf_counter()
        async with self.http.post(
            self.url, json=update, headers={SECRET_HEADER: SECRET}
        ) as response:
            await response.read()
            assert response.status == 200, response.status
        out.webhook.append(time.perf_counter() - began)
        out.steps.setdefault(step, []).append(out.webhook[-1])
        await self.fake.wait_until(
            lambda: len(self._messages()) > before, "no reply", limit=REPLY_LIMIT
        )
        out.reply.append(time.perf_counter() - began)
        if keyboard:
            await self.keyboard_after(before)
        return self._messages()[before]

    async def keyboard_after(self, since: int) -> None:
        """Wait for the buttons, which may come in the turn's last message."""
        await self.fake.wait_until(
            lambda: bool(self.buttons(since=since)), "no keyboard", limit=REPLY_LIMIT
        )

    def buttons(self, since: int = 0) -> list[str]:
        """The callback data of the last keyboard the bot sent (after message `since`)."""
        for params in reversed(self._messages()[since:]):
            markup = params.get("reply_markup") or {}
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            if rows:
                return [b["callback_data"] for row in rows for b in row]
        return []

    def _of_kind(self, action: str) -> list[str]:
        return [p for p in self.buttons() if p.split("|")[-1].startswith(action)]

    def offers(self, action: str) -> bool:
        return bool(self._of_kind(action))

    def press(self, action: str, attempt: int = 0) -> dict[str, Any]:
        """A button of that kind; chats spread over services, days and times so all book."""
        found = self._of_kind(action)
        if not found:
            raise GaveUp
        choice = found[(self.chat_id + attempt) % len(found)]
        return self.fake.callback_update(choice, user_id=self.chat_id)

    async def pick_time(self, out: Samples) -> None:
        """Tap a day and a time, as a patient does when another chat took the time meanwhile:
        one of the fresh times, or another day when that day filled up."""
        for attempt in range(TIME_TRIES):
            if not self.offers("t:"):
                await self.post("day", self.press("day:", attempt), out)
            before = len(self._messages())
            reply = await self.post("time", self.press("t:", attempt), out, keyboard=False)
            if reply.get("text") != TAKEN:
                return
            await self.keyboard_after(before)
        raise GaveUp

    async def choose_service(self, out: Samples) -> None:
        """A service, as a parent for a child's (the child's name and birth date asked
        first); one that needs a referral, which a chat cannot take, for the next one."""
        fake, me = self.fake, self.chat_id
        for attempt in range(len(self._of_kind("svc:"))):
            await self.post("service", self.press("svc:", attempt), out)
            if self.offers("newdep"):
                await self.post("whom", self.press("newdep"), out, keyboard=False)
                child = fake.text_update("Zosia Testowa", user_id=me)
                await self.post("child name", child, out, keyboard=False)
                await self.post("child birth date", fake.text_update("01.02.2020", user_id=me), out)
            if any(self.offers(kind) for kind in ("br:", "day:", "t:")):
                return
            await self.post("book", fake.callback_update("m:book", user_id=me), out)
        raise GaveUp

    async def book(self, out: Samples) -> bool:
        fake, me = self.fake, self.chat_id
        try:
            await self.post("start", fake.text_update("/start", user_id=me), out)
            await self.post("book", fake.callback_update("m:book", user_id=me), out)
            await self.choose_service(out)
            if self.offers("br:"):  # two branches: pick one
                await self.post("branch", self.press("br:"), out)
            await self.pick_time(out)
            name = fake.text_update("Jan Testowy", user_id=me)
            await self.post("name", name, out, keyboard=False)
            born = fake.text_update("01.02.1980", user_id=me)
            await self.post("birth date", born, out, keyboard=False)
            phone = f"+48 600 {me % 1000:03d} {me // 1000 % 1000:03d}"
            contact = fake.contact_update(phone, contact_user_id=me, user_id=me)
            await self.post("contact", contact, out)
            await self.post("confirm", self.press("ok"), out)
        except GaveUp:  # no time left that suits, after several tries
            return False
        return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def _process(args: list[str], env: dict[str, str], port: int) -> AsyncIterator[str]:
    """A server process on `port`, ready (its /healthz answers), stopped on exit."""
    process = await asyncio.create_subprocess_exec(*args, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{args[0]} did not start")
        yield base
    finally:
        if process.returncode is not None:
            print(f"{args[0]} exited early with {process.returncode}", file=sys.stderr)
        else:
            process.terminate()
        await process.wait()


async def _chats(
    urls: list[str], fake: FakeTelegram, chats: int, think: float
) -> tuple[Samples, int]:
    """The chats, spread over the servers at `urls` (chat n on `urls[n % len(urls)]`, as a
    proxy would spread them)."""
    out = Samples()
    connector = aiohttp.TCPConnector(limit=chats)
    async with aiohttp.ClientSession(connector=connector) as http:
        # One booking first on each server, not counted: a server that has run for a while
        # has compiled its statements and read its pages; the measure is of that server.
        mail = Mailbox(fake)
        for n, url in enumerate(urls):
            await Chat(http, url, mail, 999_000 + n, 0).book(Samples())
        booked = await asyncio.gather(
            *(
                Chat(http, urls[n % len(urls)], mail, 1_000_000 + n, think).book(out)
                for n in range(chats)
            )
        )
    return out, sum(booked)


async def _bare_chats(url: str, chats: int, requests: int, think: float) -> list[float]:
    fake = FakeTelegram()
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=chats)) as http:

        async def one_chat(chat_id: int) -> None:
            for _ in range(requests // chats):
                if think:
                    await asyncio.sleep(random.uniform(0.5, 1.5) * think)
                began = time.perf_counter()
                async with http.post(url, json=fake.text_update("hi", user_id=chat_id)) as r:
                    await r.read()
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(one_chat(900_000 + n) for n in range(chats)))
    return latencies


@asynccontextmanager
async def _demo_database(postgres: str | None) -> AsyncIterator[str]:
    """The demo clinic in a fresh database: a SQLite file, or a database of its own on the
    PostgreSQL server of the admin URL `postgres`, dropped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        if postgres is None:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        else:
            name = f"bench_webhook_{os.getpid()}"
            await _pg(postgres, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
        try:
            await upgrade_async(url)
            db = Database.from_url(url)
            await seed_demo(db, SystemClock())
            await db.dispose()
            yield url
        finally:
            if postgres is not None:
                await _pg(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _pg(admin: str, *statements: str) -> None:
    engine = create_engine(admin)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


async def run(
    chats: int, think: float, postgres: str | None = None, serves: int = 1
) -> dict[str, Any]:
    fake = FakeTelegram()
    frontdesk = str(Path(sys.executable).with_name("frontdesk"))
    async with (
        _demo_database(postgres) as url,
        TestServer(fake.app()) as api,
        AsyncExitStack() as servers,
    ):
        env = {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_SERVER": str(api.make_url("")).rstrip("/"),
            "PUBLIC_BASE_URL": "https://clinic.example",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "RUN_WORKER_IN_PROCESS": "false",
            "LOG_LEVEL": "WARNING",
        }
        bases = []
        for _ in range(serves):
            port = _free_port()
            command = [frontdesk, "serve", "--port", str(port)]
            bases.append(await servers.enter_async_context(_process(command, env, port)))
        began = time.perf_counter()
        webhooks = [base + "/telegram/webhook" for base in bases]
        samples, booked = await _chats(webhooks, fake, chats, think)
        wall = time.perf_counter() - began
    port = _free_port()
    bare_server = [sys.executable, "-m", "bench.webhook", "--bare-server", str(port)]
    async with _process(bare_server, {}, port) as base:
        bare = await _bare_chats(base + "/telegram/webhook", chats, len(samples.webhook), think)
    webhook, reply, baseline = (Latency.of(x) for x in (samples.webhook, samples.reply, bare))
    return {
        "database": "postgresql" if postgres else "sqlite",
        "serve_processes": serves,
        "chats": chats,
        "think_seconds": think,
        "requests": webhook.n,
        "requests_per_second": round(webhook.n / wall, 1),
        "completed_bookings": booked,
        "webhook_ms": _figures(webhook),
        "reply_ms": _figures(reply),
        "bare_ms": _figures(baseline),
        "ratio_p99": round(webhook.p99 / baseline.p99, 1),
        "webhook_ms_by_step": {
            step: _figures(Latency.of(values)) for step, values in samples.steps.items()
        },
    }


def _figures(latency: Latency) -> dict[str, float]:
    return {name: round(getattr(latency, name), 1) for name in ("p50", "p95", "p99")}


def serve_bare(port: int) -> None:
    """The baseline: an aiohttp handler that parses the update and answers 200."""

    async def handler(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response({})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/telegram/webhook", handler)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run on a database of its own on this PostgreSQL server (else SQLite)",
    )
    parser.add_argument("--serves", type=int, default=1, help="serve processes, one database")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server)
        return
    result = asyncio.run(run(args.chats, args.think, args.postgres, args.serves))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
