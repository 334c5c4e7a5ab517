"""The client's address behind the reverse proxies the clinic trusts (TRUSTED_PROXIES).

`X-Forwarded-For` is believed only when the connection comes from a trusted
proxy, and is read right to left: the first address that is not itself a
trusted proxy is the client's. Anyone else's header is ignored, so a client
cannot pick the address that the login limit counts or that a partner's
network allowance checks.

aiohttp-remotes was weighed: its strict mode wants the same number of proxies
in front of every request (a health check straight to the port is refused) and
its filtered mode believes the header whoever sends it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(listed: str) -> tuple[Network, ...]:
    """ "10.0.0.0/8, 192.0.2.7" as networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(item.strip()) for item in listed.split(",") if item.strip())


def within(address: str | None, listed: Sequence[Network]) -> bool:
    """Whether `address` is a valid IP address in one of the `listed` networks."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in listed)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: the peer, or the hop that the trusted proxies say they served."""
    if not within(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    client = peer
    for hop in reversed(hops):
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:  # a garbled entry: nothing left of it can be believed
            return client
        if not within(client, trusted):
            return client
    return client


def forwarded_middleware(trusted: Sequence[Network]) -> Middleware:
    """Every handler sees the client's address as `request.remote`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = request.remote
        if trusted and peer is not None:
            forwarded = request.headers.getall(hdrs.X_FORWARDED_FOR, [])
            remote = client_address(peer, forwarded, trusted)
            if remote != peer:
                request = request.clone(remote=remote)
        return await handler(request)

    return middleware
