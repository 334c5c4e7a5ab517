"""The desk's booking links over the staff API (frontdesk/staff/api/booking_links.py), on
SQLite and PostgreSQL: one to a card, a callback request's number or a case, each role in
its scope; a recall campaign to a search result's cards sent through the dispatcher and
its report of who was sent one and who booked."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from core.calls.callbacks import CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.notifications import Dispatcher
from core.models import Notification
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import CallbackReason, Channel
from frontdesk.keys import SERVICES
from testkit.factories import adult, child
from testkit.ivr import rows
from testkit.staff_api import World, start_world
from tests.core.messaging.test_notifications import Recorder


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def test_a_link_goes_to_a_card_a_callback_or_a_case_in_the_members_scope(
    world: World, db: Database, clock: FrozenClock
) -> None:
    c = world.desk.clinic
    sent = await world.call(
        "registrar",
        "POST",
        "/booking-links",
        status=201,
        json={"patient_id": world.patient_id, "services": [c.consult.id]},
    )
    assert sent["channel"] == "sms"
    assert "url" not in sent
    assert "token" not in sent
    (queued,) = await rows(db, Notification)
    assert (queued.to_channel, queued.to_address) == (Channel.SMS, "+48501000001")

    await world.call("doctor", "POST", "/booking-links", status=403, json={"patient_id": 1})
    await world.call("registrar", "POST", "/booking-links", status=404, json={"patient_id": 999})
    both = {"patient_id": world.patient_id, "callback_id": 1}
    await world.call("registrar", "POST", "/booking-links", status=400, json=both)
    await world.call(
        "registrar",
        "POST",
        "/booking-links",
        status=404,
        json={"patient_id": world.patient_id, "services": [9999]},
    )

    callbacks = CallbackService(db, clock)
    wola = await callbacks.request(
        "+48600100200",
        CallbackReason.QUEUE_LONG,
        call_sid="CA" + "1" * 32,
        language="uk",
        branch_id=world.desk.other_branch.id,
    )
    await world.call(
        "registrar", "POST", "/booking-links", status=404, json={"callback_id": wola.id}
    )
    sent = await world.call(
        "other_registrar", "POST", "/booking-links", status=201, json={"callback_id": wola.id}
    )
    assert sent["channel"] == "sms"


async def test_a_recall_campaign_reports_who_was_sent_a_link_and_who_booked(
    world: World, db: Database, clock: FrozenClock
) -> None:
    c = world.desk.clinic
    others = [await adult(db, clock, n) for n in (2, 3)]
    no_phone = await child(db, clock)
    started = await world.call(
        "registrar",
        "POST",
        "/recall-campaigns",
        status=201,
        json={
            "name": "Szczepienia grypa",
            "patient_ids": [world.patient_id, *others, no_phone],
            "services": [c.consult.id],
        },
    )
    assert (started["queued"], started["without_phone"]) == (3, 1)
    services = world.client.app[SERVICES]
    sms = Recorder()
    dispatcher = Dispatcher(
        db, clock, {Channel.SMS: sms}, "test", links=services.booking_links.signer
    )
    assert (await dispatcher.run_once()).sent == 3
    url = next(m.params["url"] for a, m in sms.sent if a == "+48501000002")
    (slot,) = await SlotSearch(db, clock).find(
        SlotQuery(Channel.WEB, service_id=c.consult.id, limit=1)
    )
    await services.booking_links.book(
        url.rsplit("/", 1)[1],
        service_id=c.consult.id,
        doctor_id=slot.doctor_id,
        start_at=slot.start_at,
    )
    report: dict[str, Any] = await world.call(
        "registrar", "GET", f"/recall-campaigns/{started['id']}"
    )
    assert (report["links"], report["sent"], report["booked"]) == (3, 3, 1)
    booked = [r for r in report["rows"] if r["booked_at"]]
    assert [r["name"] for r in booked] == ["Ewa Testowa2"]
    listed = await world.call("admin", "GET", "/recall-campaigns")
    assert [x["name"] for x in listed["items"]] == ["Szczepienia grypa"]
    await world.call("doctor", "GET", f"/recall-campaigns/{started['id']}", status=403)
