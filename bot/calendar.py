"""A visit as an iCalendar file (RFC 5545), for "add to calendar"; and signed links to it
for channels that take files only by URL (WhatsApp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from icalendar import Calendar, Event

from bot.chat import Attachment
from core.clinic.catalog import Catalog
from core.models import Booking

_MAC_CHARS = 22  # 132 bits of HMAC-SHA256, base64url


async def visit_file(catalog: Catalog, visit: Booking, stamp: datetime) -> Attachment:
    """The visit's .ics: the clinic and service as its title, the branch as its place."""
    branch = await catalog.branch(visit.branch_id)
    service = await catalog.service(visit.service_id)
    clinic = await catalog.clinic_name()
    calendar = Calendar()
    calendar.add("prodid", "-//frontdesk//visit//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"booking-{visit.id}@frontdesk")
    event.add("dtstamp", stamp)
    event.add("dtstart", visit.start_at)
    event.add("dtend", visit.end_at)
    event.add("summary", f"{clinic}: {service.name}".strip(": "))
    event.add("location", f"{branch.name}, {branch.address}, {branch.city}")
    calendar.add_component(event)
    return Attachment(f"visit-{visit.id}.ics", calendar.to_ical(), "text/calendar")


class CalendarLinks:
    """Links to `GET /calendar/{token}.ics` that only we can mint and that expire.

    The token names the booking and the expiry and carries an HMAC of both under
    SECRET_KEY: nobody can enumerate other patients' visits by changing a number.
    """

    PATH = "/calendar/{token}.ics"

    def __init__(self, base_url: str, secret: bytes) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret

    def url(self, booking_id: int, expires: datetime) -> str:
        until = int(expires.timestamp())
        token = f"{booking_id}-{until}-{self._mac(booking_id, until)}"
        return self.base_url + self.PATH.format(token=token)

    def booking_id(self, token: str, now: datetime) -> int | None:
        """The booking a token names, or None if it is forged, malformed or expired."""
        booking, _, rest = token.partition("-")
        until, _, mac = rest.partition("-")
        if not (_digits(booking) and _digits(until) and len(booking) <= 18 and len(until) <= 12):
            return None
        if not hmac.compare_digest(mac, self._mac(int(booking), int(until))):
            return None
        return int(booking) if now.timestamp() < int(until) else None

    def _mac(self, booking_id: int, until: int) -> str:
        digest = hmac.new(self._secret, f"calendar|{booking_id}|{until}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:_MAC_CHARS]


def _digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes "²", which `int` refuses."""
    return text.isascii() and text.isdigit()
