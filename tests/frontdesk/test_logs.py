"""What reaches the logs: a request aiohttp refuses before any handler runs (a request
line or a header over its 8190-byte limit, a header it cannot parse) is answered 400 and
logged without a quote of it, so the PESEL, phone or token it carried stays out; every
line carries its request's id, as text or JSON; and the watch that holds the journeys and
hostile inputs of the suite, run with every logger at DEBUG, to no PESEL, phone, name,
token or cookie in any line (tests/conftest.py) sees what it must."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from core.cause import caused_by
from frontdesk.app import create_app
from frontdesk.logs import log_handler
from frontdesk.settings import Settings
from testkit.log_scan import leaks, watching
from tests.conftest import LOG_WATCHED

Client = TestClient[web.Request, web.Application]

PESEL = "44051401359"
PHONE = "48601234567"
TOKEN = "fd_7Rk2SecretBearerTokenQ9x"
COOKIE = "fd_session=.eJyrVkpLzMkpSa1wSjSecretCookie"
PADDING = "x" * 9000  # over aiohttp's 8190-byte line and field limits
HOST = b"Host: clinic.example\r\n"

HOSTILE_REQUESTS = {
    "request-line": (
        f"GET /api/v1/bookings?pesel={PESEL}&phone=%2B{PHONE}&q={PADDING} HTTP/1.1\r\n".encode()
        + HOST
        + b"\r\n"
    ),
    "bearer-header": (
        b"GET /api/v1/me HTTP/1.1\r\n"
        + HOST
        + f"Authorization: Bearer {TOKEN}{PADDING}\r\n\r\n".encode()
    ),
    "cookie-header": (
        b"GET /staff/ HTTP/1.1\r\n" + HOST + f"Cookie: {COOKIE}{PADDING}\r\n\r\n".encode()
    ),
    "header-name": (b"GET /staff/ HTTP/1.1\r\n" + HOST + f"X-{TOKEN}{PADDING}: 1\r\n\r\n".encode()),
    "bad-header": (
        b"GET /api/v1/me HTTP/1.1\r\n"
        + HOST
        + f"Authorization: Bearer {TOKEN}\r\nNo colon {PESEL}\r\n\r\n".encode()
    ),
}
SECRETS = (PESEL, PHONE, TOKEN, "SecretCookie")


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, tmp_path) -> Client:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    return await aiohttp_client(create_app(settings))


async def _send_raw(client: Client, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


@pytest.mark.parametrize("raw", HOSTILE_REQUESTS.values(), ids=HOSTILE_REQUESTS.keys())
async def test_a_refused_request_is_logged_without_what_it_carried(
    client: Client, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's own included

    answer = await _send_raw(client, raw)

    assert answer.startswith(b"HTTP/1.1 400") or answer.startswith(b"HTTP/1.0 400")
    refused = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert refused, "aiohttp logged nothing: the refusal went unseen"
    assert "refused an unparsable request from 127.0.0.1" in refused[0].getMessage()
    assert refused[0].levelno == logging.WARNING
    for secret in SECRETS:
        assert secret not in caplog.text  # caplog.text holds formatted tracebacks too


# -- request ids and formats ---------------------------------------------------------------


async def test_each_response_names_its_request_and_a_proxys_id_is_kept(client: Client) -> None:
    made = await client.get("/healthz")
    given = await client.get("/healthz", headers={"X-Request-Id": "proxy-0123456789"})
    forged = await client.get("/healthz", headers={"X-Request-Id": "id <script>alert(1)"})

    assert len(made.headers["X-Request-Id"]) == 16
    assert given.headers["X-Request-Id"] == "proxy-0123456789"
    assert forged.headers["X-Request-Id"] != "id <script>alert(1)"
    assert len(forged.headers["X-Request-Id"]) == 16


def test_json_lines_carry_the_request_id() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("frontdesk.test_json")
    logger.addHandler(log_handler("json", stream))
    try:
        with caused_by("req-0123456789"):
            logger.warning("booked %s", "a visit")
        logger.warning("outside")
    finally:
        logger.handlers.clear()
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())

    assert inside["request_id"] == "req-0123456789"
    assert inside["message"] == "booked a visit"
    assert inside["level"] == "WARNING"
    assert inside["name"] == "frontdesk.test_json"
    assert outside["request_id"] == "-"


# -- the suite's journeys and hostile inputs, every line watched (tests/conftest.py) ----


def test_every_watched_path_exists() -> None:
    assert [p for p in LOG_WATCHED if not Path(p.split("::")[0]).exists()] == []


def test_the_watch_reads_every_logger_at_debug_with_tracebacks() -> None:
    root = logging.getLogger()
    level = root.level
    with watching() as watch:
        logging.getLogger("aiohttp.server").debug("refused pesel=%s", PESEL)
        try:
            raise ValueError(f"Bearer {TOKEN}")
        except ValueError:
            logging.getLogger("frontdesk.x").warning("failed", exc_info=True)
        logging.getLogger("frontdesk.x").info("booked visit 12")
    assert watch.found == [("aiohttp.server", ["PESEL 440..."]), ("frontdesk.x", ["bearer token"])]
    assert watch.lines >= 5  # the traceback's lines too
    assert root.level == level
    assert watch not in root.handlers


def test_the_scanner_finds_what_it_looks_for() -> None:
    line = "x 44051401359 +48 601 234 567 Kowalski Bearer abcdefgh frontdesk_staff=abc"
    assert len(leaks(line)) == 5
    document = '"GET /documents/open/12.abcdefgh.ijkl HTTP/1.1" HIV-Morfologia-Tajna.pdf'
    assert leaks(document) == ["document link", "document HIV-..."]
    assert leaks('"GET /documents/open/… HTTP/1.1" 200') == []
    assert leaks("call to +48221000000 from 127.0.0.1, booking 12345678901") == []
    assert leaks("request a44051401359f, sid SM44051401359") == []  # ids, not PESELs
    assert leaks("pesel=44051401359&phone=%2B48601234567") == ["PESEL 440...", "phone %2B48..."]
