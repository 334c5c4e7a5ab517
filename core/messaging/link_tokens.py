"""A booking link's token: `<link id>-<signature>`, the signature an HMAC of the id and
the row's random salt under the server's secret. Pure (no database): the booking links
service checks tokens with it, the dispatcher signs a link again to send it, so no token
is ever stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from core.errors import BookingLinkInvalid
from core.models import BookingLink

_TOKEN = re.compile(r"(\d{1,12})-([A-Za-z0-9_-]{27})")
PATH = "/b/"  # the booking page's path, under the public URL


class LinkSigner:
    """Signs and checks tokens, and makes the page's address: pure, no database."""

    def __init__(self, secret: bytes, base_url: str) -> None:
        if len(secret) < 16:
            raise ValueError("the booking link secret must have at least 16 bytes")
        self._secret = secret
        self.base_url = base_url.rstrip("/")

    def _signature(self, link_id: int, salt: str) -> str:
        digest = hmac.new(self._secret, f"booking-link:{link_id}:{salt}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:20]).decode().rstrip("=")

    def token(self, link: BookingLink) -> str:
        assert link.id is not None
        return f"{link.id}-{self._signature(link.id, link.salt)}"

    def url(self, link: BookingLink) -> str:
        """The page's address: `<public url>/b/<token>`, short enough for one SMS."""
        return f"{self.base_url}{PATH}{self.token(link)}"

    def link_id(self, token: str) -> tuple[int, str]:
        """The id a well-formed token claims, and its signature (checked against the row)."""
        found = _TOKEN.fullmatch(token)
        if found is None:
            raise BookingLinkInvalid("forged")
        return int(found[1]), found[2]

    def verify(self, link: BookingLink | None, signature: str) -> BookingLink:
        if link is None or link.id is None:
            raise BookingLinkInvalid("forged")
        if not hmac.compare_digest(self._signature(link.id, link.salt), signature):
            raise BookingLinkInvalid("forged")
        return link
