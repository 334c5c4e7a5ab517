"""The client's address behind trusted reverse proxies, and the login limit that counts it."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from edge.forwarded import client_address, networks
from testkit.staff_api import LOGIN_CSRF, World, anonymous_session, start_world
from testkit.staff_desk import PASSWORD

PROXIES = networks("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a proxy: its header is ignored
        ("192.0.2.7", [], "192.0.2.7"),  # a proxy that says nothing
        ("192.0.2.7", ["198.51.100.1"], "198.51.100.1"),
        ("10.1.1.1", ["198.51.100.1, 10.2.2.2"], "198.51.100.1"),  # two proxies
        ("10.1.1.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client's own claim
        ("10.1.1.1", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # two headers, in order
        ("10.1.1.1", ["10.3.3.3, 10.2.2.2"], "10.3.3.3"),  # all proxies: the first one
        ("10.1.1.1", ["198.51.100.1, not-an-address"], "10.1.1.1"),  # garbled: the proxy
        ("2001:db8::1", ["2001:db8::2, 2a00:1450::5"], "2a00:1450::5"),
    ],
)
def test_the_client_is_the_first_hop_no_trusted_proxy_vouches_for(peer, headers, client):
    assert client_address(peer, headers, PROXIES) == client


async def _guess(world: World, login: str, address: str, password: str = "guess guess") -> str:  # noqa: S107 (a wrong one)
    anonymous_session(world)
    response = await world.client.post(
        "/staff/login",
        data={"login": login, "password": password, "csrf_token": LOGIN_CSRF},
        headers={"X-Forwarded-For": address},
        allow_redirects=False,
    )
    return response.headers["Location"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_behind_a_trusted_proxy_one_address_is_throttled_not_everyone(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> None:
    world = await start_world(aiohttp_client, database_url, db, clock, trusted_proxies="127.0.0.1")
    for n in range(30):  # a spray of made-up logins from one address
        assert (await _guess(world, f"nobody{n}", "198.51.100.1")).endswith("error=invalid")
    assert (await _guess(world, "reg", "198.51.100.1", PASSWORD)).endswith("error=throttled")
    assert await _guess(world, "reg", "198.51.100.2", PASSWORD) == "/staff/"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_trusted_proxies_the_header_changes_nothing(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> None:
    world = await start_world(aiohttp_client, database_url, db, clock)
    for n in range(30):  # each guess claims another address: all count against the peer
        assert (await _guess(world, f"nobody{n}", f"198.51.100.{n}")).endswith("error=invalid")
    assert (await _guess(world, "reg", "198.51.100.99", PASSWORD)).endswith("error=throttled")
