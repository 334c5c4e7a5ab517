"""SMS pace against the fake Twilio's enforced limit (issue 18): Twilio lets one long-code
sender send 10 messages a second by default and answers 429 beyond; the fake enforces the
same over any one-second window. Due SMS reminders are delivered by the dispatcher with the
SMS sender at its default pace (`bot/whatsapp/notify.py`, `SenderPace`), then without it,
on SQLite; reported: messages a second as a share of the ceiling, and the 429s (each one
a send the dispatcher puts off: no retry inside the client here). The fake runs in a
process of its own, as Twilio would: its clock of arrivals is not this event loop's.

    .venv/bin/python -m bench.sms_pace [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.whatsapp.notify import SenderPace, SmsSender
from core.clock import SystemClock
from core.db.database import Database
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.messaging.port import REMINDER
from core.messaging.reminder_rules import ReminderRules, RuleDraft
from core.models import Notification
from core.vocab import Channel, NotificationStatus, PatientEvent, RuleKind
from edge.twilio_rest import RetryPolicy, TwilioAccount, open_client
from migrations.apply import upgrade_async
from testkit.factories import small_clinic
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER

CEILING = 10.0  # Twilio's default messages a second for one SMS sender


class Unpaced(SenderPace):
    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        yield


async def _due_sms(db: Database, count: int) -> None:
    clock = SystemClock()
    await small_clinic(db, clock, days=1)
    rule = await ReminderRules(db, clock).add(
        RuleDraft(
            "card",
            RuleKind.EVENT,
            {"pl": "{{ clinic }}"},
            event=PatientEvent.DISCOUNT_CARD_ISSUED,
        )
    )
    due = datetime.now(UTC) - timedelta(minutes=1)
    rows: list[dict[str, Any]] = [
        {
            "key": f"sms:{n}",
            "rule_id": rule.id,
            "to_channel": Channel.SMS,
            "to_address": f"+4850{n:07d}",
            "topic": REMINDER,
            "params": {},
            "due_at": due,
            "status": NotificationStatus.PENDING,
            "attempts": 0,
            "created_at": due,
        }
        for n in range(count)
    ]

    async def work(session: AsyncSession) -> None:
        await session.execute(insert(Notification), rows)

    await db.write(work)


_SERVE = (
    "import sys; from aiohttp import web; from testkit.fakes.twilio import FakeTwilio; "
    "web.run_app(FakeTwilio().app(), host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


@asynccontextmanager
async def fake_twilio() -> AsyncIterator[str]:
    """The fake Twilio in a process of its own; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", _SERVE, str(port))
    try:
        for _ in range(100):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
            else:
                writer.close()
                break
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


async def run(count: int, paced: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_async(url)
        db = Database.from_url(url)
        await _due_sms(db, count)
        async with fake_twilio() as base_url:
            account = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, base_url)
            async with open_client(account, RetryPolicy(attempts=1)) as http:
                sender = SmsSender(http, SenderPace() if paced else Unpaced())
                dispatcher = Dispatcher(
                    db, SystemClock(), {Channel.SMS: sender}, "bench", DeliveryPolicy()
                )
                started = time.perf_counter()
                report = await dispatcher.run_once()
                elapsed = time.perf_counter() - started
        await db.dispose()
    rate = report.sent / elapsed
    return {
        "paced": paced,
        "messages": count,
        "sent": report.sent,
        "seconds": round(elapsed, 2),
        "per_second": round(rate, 2),
        "share_of_ceiling": round(rate / CEILING, 3),
        "429": report.retried,
    }


async def _main(count: int) -> None:
    for paced in (True, False):
        print(json.dumps(await run(count, paced)), flush=True)


def main(argv: list[str] | None = None) -> None:
    logging.getLogger("core.messaging.notifications").setLevel(logging.ERROR)  # the 429s
    parser = argparse.ArgumentParser(prog="python -m bench.sms_pace", description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args(argv)
    asyncio.run(_main(args.messages))


if __name__ == "__main__":
    main()
