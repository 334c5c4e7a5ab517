"""A client of the fake Docplanner for the tests of the fake itself: a token, the calls as
Docplanner's document spells them (times percent-encoded, JSON bodies), and the calendar the
tests publish into."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from testkit.factories import warsaw_at
from testkit.fakes.docplanner.server import CLIENT_ID, CLIENT_SECRET, FakeDocplanner

DOCTOR, ADDRESS, SERVICE, DICTIONARY_SERVICE = "301", "9001", "as-1", "45"
BASE = f"/api/v3/integration/facilities/1001/doctors/{DOCTOR}/addresses/{ADDRESS}"
PATIENT = {"name": "Ewa", "surname": "Nowak", "phone": "+48500100200"}


def t(moment: datetime) -> str:
    """A time for a path or query: ISO 8601, percent-encoded as the document asks."""
    return quote(moment.isoformat(), safe="")


def period(clock, days: int, start: int, end: int, services: list[dict[str, Any]] | None):
    return {
        "start": warsaw_at(clock, days, start).isoformat(),
        "end": warsaw_at(clock, days, end).isoformat(),
        "address_services": services,
    }


def offer(minutes: int = 30) -> list[dict[str, Any]]:
    return [{"address_service_id": SERVICE, "duration": minutes}]


class Session:
    def __init__(self, fake: FakeDocplanner, http, token: str) -> None:
        self.fake, self.http = fake, http
        self.fake_address = f"1001/{DOCTOR}/{ADDRESS}"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs):
        return await self.http.request(method, path, headers=self.headers, **kwargs)

    async def publish(self, *entries: dict[str, Any]):
        return await self.call("PUT", BASE + "/slots", json={"slots": list(entries)})

    async def book(self, at: datetime, minutes: int = 30, patient=PATIENT):
        body = {"address_service_id": SERVICE, "duration": minutes, "patient": patient}
        return await self.call("POST", f"{BASE}/slots/{t(at)}/book", json=body)

    async def free(self, clock, days: int = 7) -> list[str]:
        start, end = warsaw_at(clock, 0, 0), warsaw_at(clock, 0, 0) + timedelta(days=days)
        response = await self.call("GET", f"{BASE}/slots?start={t(start)}&end={t(end)}")
        return [s["start"] for s in (await response.json(content_type=None))["_items"]]


async def session(aiohttp_client, clock, **settings) -> Session:
    fake = FakeDocplanner(clock, **settings)
    fake.add_address(DOCTOR, ADDRESS, "Anna Kowalska", {SERVICE: DICTIONARY_SERVICE})
    http = await aiohttp_client(fake.app())
    response = await http.post(
        "/oauth/v2/token",
        data={"grant_type": "client_credentials", "scope": "integration"},
        headers={
            "Authorization": "Basic "
            + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        },
    )
    assert response.status == 200
    return Session(fake, http, (await response.json())["access_token"])
