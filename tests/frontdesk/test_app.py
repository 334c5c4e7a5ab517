"""The web app through real HTTP requests (pytest-aiohttp), on SQLite and PostgreSQL:
health, the clinic's page, the slots API, the error mapping, the body limit, the demo
pages mounted only in a demo, and the app with its worker in process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.errors import (
    DomainError,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutsideAvailability,
    PeselInvalid,
    RestrictionViolated,
    SlotTaken,
)
from core.models import Branch
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import Channel
from frontdesk.app import MAX_BODY_BYTES, create_app
from frontdesk.services import build_services
from frontdesk.settings import Settings

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def make_client(aiohttp_client: AiohttpClient, database_url: str, clock: FrozenClock) -> MakeClient:
    async def make(*, demo: bool = False, **kwargs: Any) -> Client:
        settings = Settings(database_url=database_url, worker_interval_seconds=0.05, demo=demo)
        return await aiohttp_client(create_app(settings, clock=clock, **kwargs))

    return make


@pytest.fixture
async def client(seeded: Database, make_client: MakeClient) -> Client:
    return await make_client()


@pytest.fixture
async def demo_client(seeded: Database, make_client: MakeClient) -> Client:
    """The app as `frontdesk demo` runs it: the demo chat and phone mounted."""
    return await make_client(demo=True)


# -- health ---------------------------------------------------------------------------


async def test_healthz_checks_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://frontdesk:s3cret-pw@127.0.0.1:1/clinic",
        "sqlite+aiosqlite:///{tmp}/no/such/dir/s3cret-pw.db",
    ],
    ids=["postgres-closed-port", "sqlite-missing-dir"],
)
async def test_healthz_is_503_and_discreet_when_the_database_is_unreachable(
    aiohttp_client: AiohttpClient, tmp_path: Path, url: str
) -> None:
    settings = Settings(database_url=url.format(tmp=tmp_path))
    client = await aiohttp_client(create_app(settings))

    response = await client.get("/healthz")

    assert response.status == 503
    body = await response.text()
    assert await response.json() == {"status": "error", "database": "unreachable"}
    assert "s3cret" not in body
    assert "127.0.0.1" not in body
    assert str(tmp_path) not in body
    await _aiosqlite_threads_finished()


async def _aiosqlite_threads_finished() -> None:
    """Let aiosqlite's worker threads end before this test's event loop closes.

    When a SQLite file cannot be opened, aiosqlite stops the connection's thread
    without awaiting it; if the loop closes first, that thread fails with
    "Event loop is closed" (a race inside aiosqlite, harmless in a running server).
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while any(  # noqa: ASYNC110  (threads set no event)
                "_connection_worker_thread" in thread.name for thread in threading.enumerate()
            ):
                await asyncio.sleep(0.01)


# -- the demo page ------------------------------------------------------------------


async def test_index_lists_branches_and_earliest_local_times(
    demo_client: Client, seeded: Database, clock: FrozenClock
) -> None:
    client = demo_client
    response = await client.get("/?lang=en")

    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    for expected in (
        "Warszawa Mokotów",
        "Kraków Kazimierz",
        "ul. Puławska 145",
        "+48 22 299 77 00",
    ):
        assert expected in page
    assert "Mon</td><td>07:30–20:00" in page
    assert "Internal medicine consultation" in page  # the catalog in the reader's language
    assert "180.00\xa0PLN" in page
    # The earliest web-visible consultation, shown at Warsaw's local wall-clock time.
    services = await build_services(seeded, clock, Settings()).catalog.services()
    consult = next(s for s in services if s.code == "INT-CONS")
    first = (
        await SlotSearch(seeded, clock).find(
            SlotQuery(channel=Channel.WEB, service_id=consult.id, limit=1)
        )
    )[0]
    local = first.local_start()
    assert local.utcoffset() == timedelta(hours=1)  # December: CET
    assert f'datetime="{local.isoformat()}"' in page
    assert f"{local:%A}, {local.day} {local:%B}, {local:%H:%M}" in page
    assert f"/demo/chat?lang=en&amp;start=slot-{first.doctor_id}-" in page  # opens the chat


@pytest.mark.parametrize(
    ("query", "header", "lang", "heading", "weekday"),
    [
        ("", "", "pl", "Wolne terminy wizyt", "pon.</td>"),
        ("?lang=uk", "", "uk", "Вільний час для візитів", "пн</td>"),
        ("", "ru,en;q=0.5", "ru", "Свободное время для визитов", "пн</td>"),
    ],
)
async def test_index_speaks_the_readers_language_and_leads_on(
    demo_client: Client,
    seeded: Database,
    query: str,
    header: str,
    lang: str,
    heading: str,
    weekday: str,
) -> None:
    client = demo_client
    page = await (await client.get("/" + query, headers={"Accept-Language": header})).text()
    assert f'<html lang="{lang}">' in page
    assert heading in page
    assert weekday in page
    assert f'href="/demo/chat?lang={lang}"' in page
    assert 'href="/demo/phone"' in page
    assert 'href="/staff/"' in page


async def test_index_escapes_what_it_shows(client: Client, seeded: Database) -> None:
    async def rename(session: AsyncSession) -> None:
        await session.execute(
            update(Branch).where(col(Branch.city) == "Kraków").values(name="<script>x()</script>")
        )

    await seeded.write(rename)

    page = await (await client.get("/")).text()

    assert "<script>x()" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page


# -- the slots API ----------------------------------------------------------------------


async def test_slots_gives_the_earliest_free_times_in_the_branch_zone(
    client: Client, seeded: Database, clock: FrozenClock
) -> None:
    response = await client.get("/api/v1/slots", params={"service": "DERM-DERMO", "limit": "3"})

    assert response.status == 200
    body = await response.json()
    assert body["service"]["code"] == "DERM-DERMO"
    assert body["service"]["duration_minutes"] == 40
    assert body["service"]["price"] == "320.00"
    assert len(body["slots"]) == 3
    first = body["slots"][0]
    assert first["start"].endswith("+01:00")
    assert first["doctor"]["name"].startswith("lek.")
    assert first["branch"]["name"] in ("Warszawa Mokotów", "Kraków Kazimierz")
    starts = [slot["start"] for slot in body["slots"]]
    assert starts == sorted(starts)
    assert all(s > clock.now().isoformat() for s in starts)


async def test_slots_default_limit_is_five(client: Client) -> None:
    body = await (await client.get("/api/v1/slots?service=INT-CONS")).json()
    assert len(body["slots"]) == 5


async def test_slots_unknown_service_is_404_with_a_code(client: Client) -> None:
    response = await client.get("/api/v1/slots?service=NO-SUCH")

    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("service=INT-CONS&limit=abc", "invalid_parameter", "limit"),
        ("service=INT-CONS&limit=0", "invalid_parameter", "limit"),
        ("service=INT-CONS&limit=21", "invalid_parameter", "limit"),
        ("service=INT-CONS&limit=-1", "invalid_parameter", "limit"),
        ("service=INT-CONS&limit=%C2%B2", "invalid_parameter", "limit"),
        ("limit=3", "missing_parameter", "service"),
        ("service=" + "X" * 51, "invalid_parameter", "service"),
    ],
)
async def test_slots_bad_input_is_400_with_a_stable_code(
    make_client: MakeClient, query: str, code: str, field: str
) -> None:
    client = await make_client()  # checked before any look-up: no clinic needed
    response = await client.get(f"/api/v1/slots?{query}")

    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]


# -- errors in one place -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no such booking"), 404),
        (InvalidInput("bad"), 400),
        (PeselInvalid("PESEL is not valid", reason="checksum_or_format"), 400),
        (RestrictionViolated("patient too old", reason="age"), 422),
        (OutsideAvailability("no slot there", reason="slot"), 422),
        (SlotTaken("the time was taken meanwhile"), 409),
        (InvalidTransition("a cancelled visit cannot be moved"), 409),
        (HoldExpired("the hold is gone"), 410),
        (DomainError("something else"), 422),
    ],
)
async def test_domain_errors_map_to_statuses_once(
    aiohttp_client: AiohttpClient, tmp_path: Path, error: DomainError, status: int
) -> None:
    async def raising(request: web.Request) -> web.Response:
        raise error

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    app.router.add_get("/raise", raising)
    client = await aiohttp_client(app)

    response = await client.get("/raise")

    assert response.status == status
    assert await response.json() == {
        "error": {
            "code": error.code,
            "message": error.message,
            **({"reason": error.details["reason"]} if "reason" in error.details else {}),
        }
    }


async def test_unknown_errors_are_500_without_internals(
    aiohttp_client: AiohttpClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals at /srv/app.py")

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)

    with caplog.at_level(logging.ERROR, logger="edge.errors"):
        response = await client.get("/broken")

    assert response.status == 500
    body = await response.text()
    assert "secret" not in body
    assert "Traceback" not in body
    assert (await response.json())["error"]["code"] == "internal_error"
    assert "RuntimeError" in caplog.text  # logged for us, not shown to them


# -- the demo pages ---------------------------------------------------------------------

DEMO_PAGES = ["/demo/chat", "/demo/phone"]


@pytest.mark.parametrize("demo", [False, True], ids=["deployment", "demo"])
async def test_the_demo_pages_exist_only_in_a_demo(
    aiohttp_client: AiohttpClient,
    seeded: Database,
    database_url: str,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    demo: bool,
) -> None:
    settings = Settings(database_url=database_url, demo=demo)
    client = await aiohttp_client(create_app(settings, clock=clock))

    statuses = [(await client.get(page)).status for page in DEMO_PAGES]
    sent = await client.post("/demo/chat/send", json={"session": "a" * 32, "text": "hi"})
    index = await (await client.get("/")).text()

    assert statuses == ([200, 200] if demo else [404, 404])
    assert (sent.status == 404) is not demo
    assert ('href="/demo/chat' in index) is demo  # nor a link to where nothing is
    warnings = [r for r in caplog.records if "SECRET_KEY is not set" in r.getMessage()]
    assert len(warnings) == 1  # one key for the whole process, announced once


async def test_unknown_route_is_a_json_404(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.get("/no/such/page")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_oversized_body_is_refused_with_413(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.post("/api/v1/slots", data=b"x" * (1024 * 1024))

    assert response.status == 413
    assert (await response.json())["error"]["code"] == "request_too_large"


async def test_body_within_the_limit_reaches_routing(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.post("/api/v1/slots", data=b"x" * (MAX_BODY_BYTES - 1))
    assert response.status == 405  # the route exists, for GET only


async def test_app_with_an_in_process_worker_starts_and_stops_cleanly(
    seeded: Database, make_client: MakeClient
) -> None:
    client = await make_client(with_worker=True)
    assert (await client.get("/healthz")).status == 200
    await asyncio.sleep(0.2)  # a few passes of the worker
    assert (await client.get("/healthz")).status == 200
