"""`/documents/open/{token}` over real HTTP: the patient opens by date of birth, a grantee
by a code sent to their phone; forged, expired and replayed links refused; every answer
private (no-store, noindex); nothing of the document's name or content in a log line,
an error page or the code's SMS."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import Channel, GranteeKind, GrantSource
from frontdesk import keys
from frontdesk.services import Services
from testkit.documents import ADMIN, MARKERS, PDF, lab_result
from testkit.fakes.document_store import RecordedCodes
from testkit.log_scan import leaks
from testkit.staff_api import World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock, tmp_path
) -> World:
    started = await start_world(aiohttp_client, database_url, db, clock, documents_dir=tmp_path)
    started.client.app[keys.SERVICES].document_links.sender = RecordedCodes()
    return started


def services(world: World) -> Services:
    found: Services = world.client.app[keys.SERVICES]
    return found


async def document(world: World) -> int:
    added = await services(world).documents.add(
        ADMIN, lab_result(world.patient_id, None, booking_id=world.booking_a)
    )
    assert added.id is not None
    return added.id


def assert_private(response) -> None:
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_patient_opens_once_by_birth_date(world: World, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    link = await services(world).document_links.for_patient(
        world.patient_id, await document(world), Channel.SMS
    )
    url = f"/documents/open/{link.token}"
    form = await world.client.get(url)
    html = await form.text()
    assert form.status == 200
    assert_private(form)
    assert '<meta name="robots" content="noindex' in html
    wrong = await world.client.post(url, data={"action": "open", "birth_date": "1990-01-01"})
    assert wrong.status == 401
    assert_private(wrong)
    opened = await world.client.post(url, data={"action": "open", "birth_date": "1980-05-01"})
    assert opened.status == 200
    assert opened.headers["Content-Type"] == "application/pdf"
    assert_private(opened)
    assert opened.headers["Content-Disposition"] == 'inline; filename="document.pdf"'
    assert await opened.read() == PDF
    replayed = await world.client.post(url, data={"action": "open", "birth_date": "1980-05-01"})
    assert replayed.status == 404
    again = await world.client.get(url)
    assert again.status == 404
    for page in (html, await wrong.text(), await replayed.text(), await again.text()):
        assert not any(marker in page for marker in MARKERS)
    lines = [record.getMessage() for record in caplog.records]
    assert not any(marker in line for line in lines for marker in MARKERS)
    assert not any(link.token in line or link.token.split(".")[1] in line for line in lines)
    assert not [leak for line in lines for leak in leaks(line)]


@pytest.mark.parametrize("forge", ["signature", "id", "garbage", "expired"])
async def test_forged_and_expired_links_open_nothing(
    world: World, clock: FrozenClock, forge: str
) -> None:
    link = await services(world).document_links.for_patient(
        world.patient_id, await document(world), Channel.TELEGRAM
    )
    token = {
        "signature": link.token[:-3] + ("xyz" if not link.token.endswith("xyz") else "abc"),
        "id": "7" + link.token,
        "garbage": "%2e%2e%2fetc%2fpasswd",
        "expired": link.token,
    }[forge]
    if forge == "expired":
        clock.advance(timedelta(hours=1))
    for response in (
        await world.client.get(f"/documents/open/{token}"),
        await world.client.post(
            f"/documents/open/{token}", data={"action": "open", "birth_date": "1980-05-01"}
        ),
    ):
        assert response.status == 404
        assert_private(response)
        assert response.headers["Content-Type"].startswith("text/html")


async def test_a_grantee_opens_with_a_code_and_not_after_revocation(world: World) -> None:
    now = services(world).clock.now()
    consents = services(world).consents
    grant = await consents.grant(
        world.patient_id,
        GranteeKind.FAMILY,
        "+48 600 100 200",
        now,
        now + timedelta(days=3),
        source=GrantSource.BOT,
    )
    assert grant.id is not None
    doc = await document(world)
    links = services(world).document_links
    codes = links.sender
    assert isinstance(codes, RecordedCodes)
    link = await links.for_grantee(grant.id, doc, Channel.WHATSAPP)
    url = f"/documents/open/{link.token}"
    page = await (await world.client.get(url)).text()
    assert 'name="birth_date"' not in page  # a grantee does not know the patient's birth date
    assert "200" in page  # the phone's last digits
    sent = await world.client.post(url, data={"action": "code"})
    assert sent.status == 200
    assert codes.sent[-1][0] == "+48600100200"
    opened = await world.client.post(url, data={"action": "open", "code": codes.last_code})
    assert await opened.read() == PDF
    second = await links.for_grantee(grant.id, doc, Channel.WHATSAPP)
    await world.client.post(f"/documents/open/{second.token}", data={"action": "code"})
    await consents.revoke(world.patient_id, grant.id, by="patient")
    refused = await world.client.post(
        f"/documents/open/{second.token}", data={"action": "open", "code": codes.last_code}
    )
    assert refused.status == 403
    assert_private(refused)
    log = await services(world).documents.access_log(world.patient_id)
    assert [(a.opener, a.grant_id, a.channel) for a in log] == [
        ("grantee", grant.id, Channel.WHATSAPP)
    ]
