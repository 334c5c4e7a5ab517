"""Telegram webhook latency under 100 concurrent chats on the demo clinic (issue 3).

Each chat books a visit as a new patient through `POST /telegram/webhook`
(/start, book, service, branch, day, time, name, date of birth, contact,
confirm),
pressing the buttons the bot really sent, against the fake Bot API on
loopback. The same client then posts the same number of updates, equally
concurrent, to a bare aiohttp handler that only parses the JSON: the ratio
shows what the dialog, the database and the replies add.

    .venv/bin/python -m bench.webhook [--chats 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.timing import Latency
from bot.telegram.routes import SECRET_HEADER
from core.clock import SystemClock
from core.db.database import Database
from core.db.migrate import upgrade_async
from core.demo import seed_demo
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from tests.fakes.telegram import TOKEN, FakeTelegram

SECRET = "bench-webhook-secret"  # noqa: S105 (a fake, for the loopback run only)


def _buttons(fake: FakeTelegram, chat_id: int) -> list[str]:
    """The callback data of the last keyboard the bot sent to this chat."""
    for call in reversed(fake.calls):
        if call.method.lower() != "sendmessage" or call.params.get("chat_id") != chat_id:
            continue
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if rows:
            return [b["callback_data"] for row in rows for b in row]
    return []


def _pick(fake: FakeTelegram, chat_id: int, action: str) -> str:
    """A button of that kind; chats spread over days and times so most of them book."""
    found = [p for p in _buttons(fake, chat_id) if p.split("|")[-1].startswith(action)]
    if not found:
        raise StopIteration
    return found[chat_id % len(found)] if action in ("day:", "t:") else found[0]


async def _journey(
    session: aiohttp.ClientSession, url: str, fake: FakeTelegram, chat_id: int, out: list[float]
) -> bool:
    async def post(update: dict[str, Any]) -> None:
        began = time.perf_counter()
        async with session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
            await response.read()
            assert response.status == 200, response.status
        out.append(time.perf_counter() - began)

    def press(action: str) -> dict[str, Any]:
        return fake.callback_update(_pick(fake, chat_id, action), user_id=chat_id)

    try:
        await post(fake.text_update("/start", user_id=chat_id))
        await post(fake.callback_update("m:book", user_id=chat_id))
        await post(press("svc:"))
        if any("|br:" in p for p in _buttons(fake, chat_id)):  # two branches: pick one
            await post(press("br:"))
        await post(press("day:"))
        await post(press("t:"))
        await post(fake.text_update("Jan Testowy", user_id=chat_id))
        await post(fake.text_update("01.02.1980", user_id=chat_id))
        phone = f"+48 600 {chat_id % 1000:03d} {chat_id // 1000 % 1000:03d}"
        await post(fake.contact_update(phone, contact_user_id=chat_id, user_id=chat_id))
        await post(press("ok"))
    except StopIteration:  # a time taken by another chat meanwhile: the bot offered others
        return False
    return True


async def _bare(chats: int, requests: int, fake: FakeTelegram) -> list[float]:
    async def handler(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/telegram/webhook", handler)
    latencies: list[float] = []
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/telegram/webhook"))

        async def one_chat(chat_id: int) -> None:
            for _ in range(requests // chats):
                update = fake.text_update("hello", user_id=chat_id)
                began = time.perf_counter()
                async with session.post(url, json=update) as response:
                    await response.read()
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(one_chat(900_000 + n) for n in range(chats)))
    return latencies


async def run(chats: int) -> dict[str, Any]:
    fake = FakeTelegram()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_async(url)
        db = Database.from_url(url)
        await seed_demo(db, SystemClock())
        await db.dispose()
        settings = load_settings(
            database_url=url,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            public_base_url="https://clinic.example",
            run_worker_in_process=False,
        )
        async with TestServer(fake.app()) as api:
            fake.base_url = str(api.make_url("")).rstrip("/")
            settings = settings.model_copy(update={"telegram_api_server": fake.base_url})
            async with (
                TestServer(create_app(settings)) as server,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=chats)) as session,
            ):
                webhook = str(server.make_url("/telegram/webhook"))
                latencies: list[float] = []
                began = time.perf_counter()
                booked = await asyncio.gather(
                    *(
                        _journey(session, webhook, fake, 1_000_000 + n, latencies)
                        for n in range(chats)
                    )
                )
                wall = time.perf_counter() - began
            bare = await _bare(chats, len(latencies), fake)
    engine, baseline = Latency.of(latencies), Latency.of(bare)
    return {
        "chats": chats,
        "requests": len(latencies),
        "completed_bookings": sum(booked),
        "seconds": round(wall, 1),
        "webhook_ms": {
            "p50": round(engine.p50, 1),
            "p95": round(engine.p95, 1),
            "p99": round(engine.p99, 1),
        },
        "bare_ms": {
            "p50": round(baseline.p50, 2),
            "p95": round(baseline.p95, 2),
            "p99": round(baseline.p99, 2),
        },
        "ratio_p99": round(engine.p99 / baseline.p99, 1),
        "taps_linked_patient": 5,  # /start, book, service, day, time + confirm: see docs
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.chats)), indent=2))


if __name__ == "__main__":
    main()
