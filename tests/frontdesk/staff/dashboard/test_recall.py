"""Booking links from the dashboard (frontdesk/staff/dashboard/recall.py) over HTTP, on
SQLite and PostgreSQL: one sent from the callback queue's form, a recall list uploaded
as CSV with its unusable rows listed, hostile files refused with a clear page, and the
campaign's report."""

from __future__ import annotations

import pytest
from aiohttp import FormData

from core.calls.callbacks import CallbackService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import BookingLink, Notification
from core.vocab import CallbackReason, Channel, LinkOrigin
from testkit.dashboard import Client, log_in
from testkit.factories import adult
from testkit.ivr import rows
from testkit.staff_desk import Desk


async def test_a_link_is_sent_from_the_callback_queue(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    request = await CallbackService(db, clock).request(
        "+48600100200",
        CallbackReason.QUEUE_LONG,
        call_sid="CA1",
        language="uk",
        branch_id=clinic.clinic.branch.id,
    )
    token = await log_in(client, "reg")
    queue = await (await client.get("/staff/callbacks")).text()
    assert 'name="callback_id"' in queue
    sent = await client.post(
        "/staff/booking-links",
        data={
            "csrf_token": token,
            "callback_id": str(request.id),
            "service": str(clinic.clinic.consult.id),
            "next": "/staff/callbacks",
        },
    )
    assert sent.status == 200
    assert "text message" in await sent.text()
    (link,) = await rows(db, BookingLink)
    assert (link.origin, link.origin_id, link.phone) == (
        LinkOrigin.CALLBACK,
        request.id,
        "+48600100200",
    )
    assert link.service_ids == [clinic.clinic.consult.id]
    (message,) = await rows(db, Notification)
    assert message.to_channel is Channel.SMS
    forged = await client.post(
        "/staff/booking-links", data={"csrf_token": "x", "callback_id": str(request.id)}
    )
    assert forged.status == 403


def _upload(token: str, name: str, content: bytes) -> FormData:
    form = FormData()
    form.add_field("csrf_token", token)
    form.add_field("name", name)
    form.add_field("file", content, filename="list.csv", content_type="text/csv")
    return form


async def test_a_recall_list_is_uploaded_and_reported(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    known = await adult(db, clock, 1)
    token = await log_in(client, "reg")
    assert "Recall" in await (await client.get("/staff/recall")).text()
    listing = "Telefon;Imię i nazwisko\n501000001;Ewa T.\n600100200;Jan Nowak\n123;Zły\n"
    page = await client.post(
        "/staff/recall", data=_upload(token, "Bilans 2026", listing.encode("cp1250"))
    )
    assert page.status == 200
    html = await page.text()
    assert "Bilans 2026" in html
    assert "Jan Nowak" in html
    assert "Rows without a valid phone number: 4" in html
    links = await rows(db, BookingLink)
    assert {link.phone: link.patient_id for link in links} == {
        "+48501000001": known,
        "+48600100200": None,
    }
    campaign = links[0].campaign_id
    report = await (await client.get(f"/staff/recall/{campaign}")).text()
    assert "Waiting to be sent" in report
    assert len(await rows(db, Notification)) == 2


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\x00\x01\x02binary\x00", "This is not a CSV file"),
        (b"", "The file is empty"),
        (b"abc,def\nghi,jkl\n", "No row of the list has a valid phone number"),
    ],
)
async def test_a_hostile_list_gets_a_clear_page(
    client: Client, clinic: Desk, db: Database, content: bytes, says: str
) -> None:
    token = await log_in(client, "reg")
    page = await client.post("/staff/recall", data=_upload(token, "X", content))
    assert says in await page.text()
    assert await rows(db, Notification) == []


async def test_a_huge_list_is_refused_before_it_is_read(client: Client, clinic: Desk) -> None:
    token = await log_in(client, "reg")
    huge = b"501000001,Ewa\n" * 20_000
    page = await client.post("/staff/recall", data=_upload(token, "X", huge))
    assert page.status == 413  # refused by its declared length, before anything is read
    assert "request_too_large" in await page.text()
