"""Who calls the FHIR API: a partner's system, by a staff API token scoped to that
partner (`POST /api/v1/me/tokens` with `partner`, an admin's). A member's own token, a
revoked one, one of a closed account or a made-up one get the same 401."""

from __future__ import annotations

from aiohttp import web

from core.errors import AuthenticationFailed
from core.vocab import Channel
from frontdesk import keys


async def partner_of(request: web.Request) -> Channel:
    """The partner the request's bearer token acts for, or `AuthenticationFailed`."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise AuthenticationFailed("use Authorization: Bearer <a partner's token>")
    return await request.app[keys.SERVICES].staff.partner_by_token(raw.strip())
