"""The dashboard's Partners page over real HTTP, on SQLite and PostgreSQL: a refusal by a
fake Docplanner shown with its message, sent again or given up by an admin through the
forms; mappings made and undone; registrars read only, doctors kept out; and a visit the
desk restores asks LUX MED first, as every booking does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient

from core.actors import Actor
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from core.partners.desk import PartnerDesk
from core.vocab import BookingStatus, Channel, MappingKind
from frontdesk.app import create_app
from frontdesk.settings import load_settings
from testkit.dashboard import WEDNESDAY_8, Client, book, log_in, refused_visit
from testkit.fakes.luxmed import PASSWORD as LUXMED_PASSWORD
from testkit.fakes.luxmed import FakeLuxmed
from testkit.partner_setup import Rig, docplanner_rig
from testkit.staff_desk import Desk

PAGE = "/staff/partners/znanylekarz"


@pytest.fixture
async def rig(clinic: Desk, db: Database, clock: FrozenClock) -> AsyncIterator[Rig]:
    """The clinic's internist on a fake Docplanner that refuses the next visit sent."""
    async with docplanner_rig(db, clock, clinic=clinic.clinic) as rig:
        await rig.sync.publish_all(Channel.ZNANYLEKARZ)
        await rig.settle()
        yield rig


async def test_an_admin_sends_a_refusal_again_or_gives_it_up(
    client: Client, clinic: Desk, rig: Rig, db: Database, clock: FrozenClock
) -> None:
    await refused_visit(rig, clinic, db, clock, 1)
    await refused_visit(rig, clinic, db, clock, 2)
    [first, second] = await rig.desk.failures(Channel.ZNANYLEKARZ)
    token = await log_in(client, "admin")
    shown = await (await client.get(PAGE)).text()
    assert shown.count("HTTP 422: injected failure") == 2
    assert f'action="{PAGE}/failures/{first.id}/retry"' in shown

    forged = await client.post(f"{PAGE}/failures/{first.id}/retry", data={})
    assert forged.status == 403
    sent = await client.post(
        f"{PAGE}/failures/{first.id}/retry", data={"csrf_token": token}, allow_redirects=False
    )
    assert (sent.status, sent.headers["Location"]) == (303, PAGE)
    given_up = await client.post(f"{PAGE}/failures/{second.id}/discard", data={"csrf_token": token})
    assert given_up.status == 200
    await rig.settle()
    assert await rig.desk.failures(Channel.ZNANYLEKARZ) == []
    assert "Nothing refused." in await given_up.text()
    starts = {b.start for b in rig.fake.active()}
    assert WEDNESDAY_8 + timedelta(hours=1) in starts
    assert WEDNESDAY_8 + timedelta(hours=2) not in starts


async def test_registrars_read_doctors_are_kept_out(
    client: Client, clinic: Desk, rig: Rig, db: Database, clock: FrozenClock
) -> None:
    await refused_visit(rig, clinic, db, clock, 1)
    [failure] = await rig.desk.failures(Channel.ZNANYLEKARZ)
    token = await log_in(client, "reg", language="pl")
    shown = await client.get("/staff/partners")
    assert shown.url.path == PAGE
    text = await shown.text()
    assert "Odrzucone przez partnera" in text  # "Refused by the partner", from the catalog
    assert "HTTP 422: injected failure" in text
    assert "/retry" not in text
    refused = await client.post(f"{PAGE}/failures/{failure.id}/retry", data={"csrf_token": token})
    assert refused.status == 403
    assert len(await rig.desk.failures(Channel.ZNANYLEKARZ)) == 1
    await log_in(client, "kowalska")
    assert (await client.get(PAGE)).status == 403
    assert 'href="/staff/partners"' not in await (await client.get("/staff/today")).text()


async def test_an_admin_maps_and_unmaps_from_the_page(client: Client, clinic: Desk) -> None:
    token = await log_in(client, "admin")
    other = clinic.other_doctor
    before = await (await client.get(PAGE)).text()
    assert f'value="doctor:{other.id}"' in before  # offered as not known to the partner
    mapped = await client.post(
        f"{PAGE}/map",
        data={"csrf_token": token, "ours": f"doctor:{other.id}", "remote_id": "7/8/9"},
    )
    assert mapped.status == 200
    assert "<code>7/8/9</code>" in await mapped.text()
    wrong = await client.post(
        f"{PAGE}/map", data={"csrf_token": token, "ours": "room:1", "remote_id": "x"}
    )
    assert wrong.status == 400
    unmapped = await client.post(
        f"{PAGE}/unmap", data={"csrf_token": token, "ours": f"doctor:{other.id}"}
    )
    assert "7/8/9" not in await unmapped.text()
    assert (await client.get("/staff/partners/nowhere")).status == 404


async def test_the_desk_restores_a_visit_only_if_the_paying_partner_covers_it(
    aiohttp_client: AiohttpClient,
    database_url: str,
    db: Database,
    clock: FrozenClock,
    clinic: Desk,
) -> None:
    """A move or a restore at the desk is a booking too: LUX MED is asked first."""
    fake = FakeLuxmed()
    server = TestServer(fake.app())
    await server.start_server()
    settings = load_settings(
        database_url=database_url,
        secret_key="dashboard-secret-key-0123456789abcdef",
        run_worker_in_process=False,
        luxmed_connector_url=str(server.make_url("")).rstrip("/"),
        luxmed_password=LUXMED_PASSWORD,
    )
    desk_client = await aiohttp_client(create_app(settings, clock=clock))
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    await BookingService(db, clock).cancel(Actor.staff("setup"), booking_id, "patient phoned")
    assert clinic.clinic.consult.id is not None
    await PartnerDesk(db, clock).map(
        Channel.LUXMED, MappingKind.SERVICE, clinic.clinic.consult.id, "LM-100"
    )
    token = await log_in(desk_client, "reg")
    refused = await desk_client.post(
        f"/staff/bookings/{booking_id}/restore", data={"csrf_token": token}
    )
    assert refused.status == 422
    assert "did not confirm the patient's coverage" in await refused.text()
    async with db.read() as session:
        assert (await session.get_one(Booking, booking_id)).status is BookingStatus.CANCELLED
    await server.close()
