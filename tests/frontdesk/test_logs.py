"""What reaches the logs: a request aiohttp refuses before any handler runs (a request
line or a header over its 8190-byte limit, a header it cannot parse) is answered 400 and
logged without a quote of it, so the PESEL, phone or token it carried stays out."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from frontdesk.app import create_app
from frontdesk.settings import Settings

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
