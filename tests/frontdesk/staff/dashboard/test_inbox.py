"""The inbox (frontdesk/staff/dashboard/inbox.py) over HTTP, on SQLite and PostgreSQL: a reply
queued for the patient's chat, and the event stream telling of a new conversation."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.escalation import EscalationService
from core.models import OutboxEvent
from core.vocab import Channel, EventKind
from frontdesk.staff.dashboard.inbox import POLL_SECONDS
from testkit.dashboard import Client, log_in
from testkit.staff_desk import Desk


async def test_a_reply_from_the_inbox_is_queued_for_the_patients_chat(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    case = await EscalationService(db, clock).open(
        Channel.TELEGRAM, "4242", reason="asked", language="uk", transcript=[("patient", "Алло")]
    )
    token = await log_in(client, "reg")
    listing = await (await client.get("/staff/inbox")).text()
    assert f"/staff/inbox/{case.id}" in listing
    assert "Алло" in listing
    await client.post(f"/staff/inbox/{case.id}/take", data={"csrf_token": token})
    await client.post(
        f"/staff/inbox/{case.id}/reply", data={"csrf_token": token, "text": "Dzień dobry!"}
    )
    page = await (await client.get(f"/staff/inbox/{case.id}")).text()
    assert "Dzień dobry!" in page
    assert "Renata Rejestracja" in page
    async with db.read() as session:
        [event] = (
            await session.execute(
                select(OutboxEvent).where(col(OutboxEvent.kind) == EventKind.ESCALATION_REPLY)
            )
        ).scalars()
    assert event.payload["chat_id"] == "4242"
    await client.post(f"/staff/inbox/{case.id}/close", data={"csrf_token": token})
    assert f"/staff/inbox/{case.id}" not in await (await client.get("/staff/inbox")).text()


async def test_the_event_stream_tells_of_a_new_conversation(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    await log_in(client, "reg")
    stream = await client.get("/staff/inbox/events")
    assert stream.headers["Content-Type"] == "text/event-stream"
    first = await stream.content.readuntil(b"\n\n")
    assert first.startswith(b"retry: 3000\nevent: stamp\n")
    await EscalationService(db, clock).open(
        Channel.WHATSAPP, "+48501", reason="asked", language="pl"
    )
    changed = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), POLL_SECONDS * 5)
    assert changed.startswith(b"event: changed\n")
    stream.close()
