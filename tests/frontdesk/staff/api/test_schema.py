"""Schemathesis against the served OpenAPI document: generated requests (valid and not) to
every operation, as an admin with a bearer token, find no server error and no response
outside the document. The server runs on its own thread and loop, as in production."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.app import create_app
from frontdesk.settings import Settings
from testkit.staff_api import seed
from tests.conftest import NOW

# Examples per operation: enough to reach every parameter, few enough to stay quick.
EXAMPLES = 12
pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """The app, seeded with the two-branch desk, served on a thread of its own."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = _free_port()
        self.token = ""
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        assert self._ready.wait(60), "the server did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        clock = FrozenClock(NOW)
        db = Database.from_url(self.database_url)

        self.token = (await seed(db, clock)).tokens["admin"]
        settings_ = Settings(database_url=self.database_url, secret_key="k" * 32)
        runner = web.AppRunner(create_app(settings_, clock=clock))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()
        await db.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[_Server]:
    with _Server(database_url) as running:
        yield running


def test_no_server_error_anywhere(server):
    base = f"http://127.0.0.1:{server.port}"
    document = requests.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {server.token}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    # Deletions last: revoking the admin's own token early would leave only 401s to see.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: op.method.upper() == "DELETE",
    )
    assert len(operations) == sum(len(item) for item in document["paths"].values())
    with requests.Session() as session:
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                case.call_and_validate(
                    base_url=base, session=session, headers=headers, checks=checks
                )

            exercise()
