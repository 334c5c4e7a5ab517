"""Docplanner's push endpoint (ZnanyLekarz): `POST /partners/znanylekarz/notifications`.

Docplanner signs nothing, so a push is accepted only from a configured source
network or with the API key agreed with Docplanner (compared in constant
time); anything else is 401 and never stored. An accepted notification is
stored (`PartnerInbox.receive`) and acknowledged at once, then applied in the
background; a redelivery is stored once and applied once. The blocking
`slot-booking` / `booking-moving` requests are answered within a second: 2xx
approves, 400 with `{"error_code"}` refuses a time no longer free here. Past
the second the answer is "approve" and the request is still applied: if it
then fails, the engine cancels it on Docplanner with the reason (as for any
late conflict).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from core.partners.inbox import PartnerInbox
from core.vocab import Channel
from edge.forwarded import Network, within
from partners.docplanner.notices import BLOCKING_NAMES, parse_notice

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-Api-Key"
BLOCKING_DEADLINE = 0.8  # seconds: Docplanner waits about one
REFUSED = 1  # our error_code for "this time is not free here"


@dataclass(frozen=True)
class PushGate:
    """Who may push: an agreed API key, or a source address in the allowlist."""

    api_key: str | None = field(default=None, repr=False)
    sources: tuple[Network, ...] = ()

    @property
    def open(self) -> bool:
        """Whether any push can pass (configured at all)."""
        return bool(self.api_key or self.sources)

    def allows(self, request: web.Request) -> bool:
        given = request.headers.get(API_KEY_HEADER)
        if self.api_key and given and hmac.compare_digest(given.encode(), self.api_key.encode()):
            return True
        return within(request.remote, self.sources)


INBOX = web.AppKey("partner_inbox", PartnerInbox)
DOCPLANNER_GATE = web.AppKey("docplanner_gate", PushGate)
_BACKGROUND = web.AppKey("partner_background", set[asyncio.Future[Any]])


def setup_partner_routes(app: web.Application, gate: PushGate) -> None:
    """Docplanner's push endpoint, let in by `gate` (the agreed key or an allowed source)."""
    app[DOCPLANNER_GATE] = gate
    app[_BACKGROUND] = set()
    app.router.add_post(
        "/partners/znanylekarz/notifications", docplanner_push, name="docplanner_push"
    )
    app.on_shutdown.append(_finish_background)


async def _finish_background(app: web.Application) -> None:
    """Let notices being applied finish before the database closes (they are stored: the
    worker would apply any left over anyway)."""
    background: set[asyncio.Future[Any]] = app[_BACKGROUND]
    if pending := list(background):
        await asyncio.wait(pending, timeout=5)


def _background(request: web.Request, work: asyncio.Future[Any]) -> None:
    """Keep a reference to work that outlives the request, until it is done."""
    tasks = request.app[_BACKGROUND]
    tasks.add(work)
    work.add_done_callback(tasks.discard)


async def docplanner_push(request: web.Request) -> web.Response:
    gate = request.app[DOCPLANNER_GATE]
    if not gate.open or not gate.allows(request):
        return web.json_response({"message": "unauthorized"}, status=401)
    try:
        notice = parse_notice(await request.json())
    except ValueError:
        return web.json_response({"message": "not a Docplanner notification"}, status=400)
    inbox = request.app[INBOX]
    partner = Channel.ZNANYLEKARZ
    if notice.name in BLOCKING_NAMES:
        deciding = asyncio.ensure_future(inbox.decide(partner, notice))
        try:
            decision = await asyncio.wait_for(asyncio.shield(deciding), BLOCKING_DEADLINE)
        except TimeoutError:
            log.warning("docplanner %s: no answer within the deadline, approved", notice.name)
            _background(request, deciding)
            return web.json_response({"status": "accepted"})
        if not decision.accepted:
            return web.json_response(
                {"error_code": REFUSED, "message": decision.reason}, status=400
            )
        return web.json_response({"status": "accepted"})
    await inbox.receive(partner, [notice])
    _background(request, asyncio.ensure_future(inbox.apply_pending()))
    return web.json_response({"status": "stored"})
