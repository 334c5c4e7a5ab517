"""Due reminders in bulk and `frontdesk worker` processes to send them, against a fake Bot
API on loopback: shared by tests/core/messaging/test_notify_workers.py and bench/notify.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.messaging.port import REMINDER
from core.messaging.reminder_rules import ReminderRules, RuleDraft
from core.models import Notification
from core.vocab import Channel, DoubtOutcome, NotificationStatus, PatientEvent, RuleKind
from testkit.factories import small_clinic
from testkit.fakes.telegram.server import TOKEN, FakeTelegram

FIRST_CHAT = 100_000
WORKER = str(Path(sys.executable).with_name("frontdesk"))


async def due_reminders(
    db: Database, clock: Clock, count: int, visit_ahead: timedelta | None = None
) -> None:
    """A clinic, an event rule and `count` reminders due now, to chats FIRST_CHAT + n; with
    `visit_ahead`, each of a visit that far ahead (so one a crash leaves in doubt is sent
    again: the crash bench), else of none (left unresolved: the suite's no-duplicate test)."""
    await small_clinic(db, clock, days=1)
    card = PatientEvent.DISCOUNT_CARD_ISSUED
    rule = await ReminderRules(db, clock).add(
        RuleDraft("card", RuleKind.EVENT, {"pl": "{{ clinic }}"}, event=card)
    )
    due = datetime.now(UTC) - timedelta(minutes=1)  # the workers run on the real clock
    rows: list[dict[str, object]] = [
        {
            "key": f"load:{n}",
            "rule_id": rule.id,
            "to_channel": Channel.TELEGRAM,
            "to_address": str(FIRST_CHAT + n),
            "topic": REMINDER,
            "params": {},
            "due_at": due,
            "visit_start": None if visit_ahead is None else due + visit_ahead,
            "status": NotificationStatus.PENDING,
            "attempts": 0,
            "created_at": due,
        }
        for n in range(count)
    ]

    async def work(session: AsyncSession) -> None:
        await session.execute(insert(Notification), rows)

    await db.write(work)


async def statuses(db: Database) -> Counter[str]:
    """Rows per status, and per `doubt:<outcome>` for those a crash caught mid-send."""
    async with db.read() as session:
        rows = await session.execute(
            select(col(Notification.status), func.count()).group_by(col(Notification.status))
        )
        doubts = await session.execute(
            select(col(Notification.doubt), func.count())
            .where(col(Notification.doubt).is_not(None))
            .group_by(col(Notification.doubt))
        )
        return Counter(
            {str(status): count for status, count in rows}
            | {f"doubt:{outcome}": count for outcome, count in doubts}
        )


async def in_doubt(db: Database) -> set[int]:
    """The chats whose reminder is in doubt."""
    async with db.read() as session:
        rows = await session.execute(
            select(col(Notification.to_address)).where(
                col(Notification.status) == NotificationStatus.IN_DOUBT
            )
        )
        return {int(address) for (address,) in rows if address is not None}


def worker_env(
    database_url: str, fake: FakeTelegram, *, lease: float, per_second: float = 1000
) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_SERVER": fake.base_url,
        "TELEGRAM_MESSAGES_PER_SECOND": str(per_second),
        "WORKER_INTERVAL_SECONDS": "0.2",
        "NOTIFICATION_LEASE_SECONDS": str(lease),
        "LOG_LEVEL": "WARNING",
    }


async def run_workers(
    db: Database,
    count: int,
    env: dict[str, str],
    *,
    workers: int = 3,
    kill_when: Callable[[], bool] | None = None,
    resolve_doubts: bool = False,
    limit: float = 240,
) -> tuple[Counter[str], float | None]:
    """`workers` processes until all `count` reminders are settled (sent or in doubt; with
    `resolve_doubts`, sent or left unresolved once the survivors settled those in doubt).
    With `kill_when`, the first worker is killed (SIGKILL) once it holds; then also
    returned: the seconds from the kill until everything was settled."""
    processes = [
        await asyncio.create_subprocess_exec(WORKER, "worker", env=env) for _ in range(workers)
    ]
    killed_at: float | None = None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(limit):
            while True:
                if kill_when is not None and killed_at is None and kill_when():
                    processes[0].send_signal(signal.SIGKILL)
                    await processes[0].wait()
                    killed_at = loop.time()
                now = await statuses(db)
                open_doubts = now[f"doubt:{DoubtOutcome.UNRESOLVED}"] if resolve_doubts else 0
                waiting = now[NotificationStatus.IN_DOUBT] - open_doubts if resolve_doubts else 0
                if now[NotificationStatus.SENT] + now[NotificationStatus.IN_DOUBT] == count and (
                    waiting == 0
                ):
                    return now, None if killed_at is None else loop.time() - killed_at
                await asyncio.sleep(0.05 if kill_when is not None and killed_at is None else 0.3)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()


def per_chat(fake: FakeTelegram) -> Counter[int]:
    """How many messages each chat got."""
    sent = [c for c in fake.calls if c.method == "sendMessage" and c.status == 200]
    return Counter(int(c.params["chat_id"]) for c in sent)
