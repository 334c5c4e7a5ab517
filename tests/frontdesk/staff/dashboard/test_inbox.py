"""The inbox (frontdesk/staff/dashboard/inbox.py) over HTTP, on SQLite and PostgreSQL: a reply
queued for the patient's chat, and the event stream telling of a new conversation."""

from __future__ import annotations

import asyncio
import html

from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.escalation import EscalationService
from core.models import OutboxEvent
from core.vocab import Channel, EventKind
from edge.i18n import Texts
from frontdesk.staff.dashboard.inbox import POLL_SECONDS, canned_replies
from testkit.dashboard import Client, log_in
from testkit.factories import adult
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


async def test_a_case_links_the_patient_s_card_and_offers_replies_in_their_language(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    patient = await adult(db, clock)
    cases = EscalationService(db, clock)
    known = await cases.open(
        Channel.TELEGRAM, "4243", reason="asked", language="uk", patient_id=patient
    )
    unknown = await cases.open(Channel.WEB, "web-sessEN000001", reason="asked", language="en")
    await log_in(client, "reg")
    listing = await (await client.get("/staff/inbox")).text()
    assert f'href="/staff/patients/{patient}"' in listing
    assert "Not linked to a card" in listing
    page = await (await client.get(f"/staff/inbox/{known.id}")).text()
    assert f'href="/staff/patients/{patient}"' in page
    ukrainian = canned_replies(Texts("uk"))
    assert ukrainian != canned_replies(Texts("en"))  # translated, not the English source
    assert all(html.escape(text, quote=True) in page for text in ukrainian)
    assert 'lang="uk"' in page
    assert "web-sessEN000001" not in await (await client.get(f"/staff/inbox/{unknown.id}")).text()


async def test_a_case_of_another_branch_is_neither_listed_nor_answered(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    wola = await EscalationService(db, clock).open(
        Channel.TELEGRAM, "4244", reason="asked", language="pl", branch_id=clinic.other_branch.id
    )
    token = await log_in(client, "reg")
    assert f"/staff/inbox/{wola.id}" not in await (await client.get("/staff/inbox")).text()
    assert (await client.get(f"/staff/inbox/{wola.id}")).status == 404
    for action in ("take", "close"):
        refused = await client.post(f"/staff/inbox/{wola.id}/{action}", data={"csrf_token": token})
        assert refused.status == 404
    await log_in(client, "reg-wola")
    assert f"/staff/inbox/{wola.id}" in await (await client.get("/staff/inbox")).text()


async def test_a_case_another_member_took_is_refused(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    cases = EscalationService(db, clock)
    case = await cases.open(Channel.TELEGRAM, "4245", reason="asked", language="pl")
    assert case.id is not None
    await cases.take(case.id, "admin")
    token = await log_in(client, "reg")
    refused = await client.post(f"/staff/inbox/{case.id}/take", data={"csrf_token": token})
    assert refused.status == 409
    assert "Someone else has already taken this." in await refused.text()
