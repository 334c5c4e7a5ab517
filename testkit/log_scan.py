"""Every log line a test run writes, and what must never be in one.

`watching` records every record of every logger, DEBUG and up, formatted with its
traceback as `frontdesk serve` would print it (the suite watches its journeys and hostile
inputs this way, `tests/conftest.py`). `leaks` finds in such lines (but the fakes' own
access lines) a valid PESEL, a mobile number, a patient's name from the test data, a
bearer token, a session cookie, one of the fakes' secrets, a document link's token, or
the name or a line of content of the tests' documents.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from stdnum.pl import pesel

from frontdesk.logs import TEXT_FORMAT, RequestIdFilter
from frontdesk.staff.auth import SESSION_COOKIE
from testkit.chat import SECRET as DIALOG_SECRET
from testkit.documents import MARKERS as DOCUMENT_MARKERS
from testkit.fakes.luxmed import PASSWORD as LUXMED_PASSWORD
from testkit.fakes.telegram.server import TOKEN as TELEGRAM_TOKEN
from testkit.fakes.twilio import AUTH_TOKEN as TWILIO_TOKEN
from testkit.messengers import SECRET as JOURNEY_WEBHOOK_SECRET
from testkit.staff_desk import PASSWORD as STAFF_PASSWORD
from testkit.telegram_face import SECRET as WEBHOOK_SECRET

# Numbers standing alone: eleven digits inside a hex id or a Twilio sid are not a PESEL.
_ELEVEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{11}(?![0-9A-Za-z])")
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+|%2B)?48[ -]?[5-8]\d{2}[ -]?\d{3}[ -]?\d{3}(?![0-9A-Za-z])"
)
_BEARER = re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{6,}")
_COOKIE = re.compile(re.escape(SESSION_COOKIE) + r"=\S")
_DOCUMENT_LINK = re.compile(r"/documents/open/[0-9]+\.")
PATIENT_NAMES = ("Kowalski", "Kowalska", "Wiśniewska", "Abonamentowa", "Mały")
SECRETS = (
    TELEGRAM_TOKEN.split(":", 1)[1],
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    JOURNEY_WEBHOOK_SECRET,
    DIALOG_SECRET.decode(),
    STAFF_PASSWORD,
    LUXMED_PASSWORD,
)


# The fakes' own access lines: what Telegram's and Twilio's servers log, not ours.
_FAKE_TRAFFIC = re.compile(r'aiohttp\.access .*"[A-Z]+ /(?:bot\d+:|2010-04-01/)')


def leaks(line: str) -> list[str]:
    """What in `line` must not be logged, named by kind (never repeated whole)."""
    if _FAKE_TRAFFIC.search(line):
        return []
    found = [f"PESEL {m[:3]}..." for m in _ELEVEN_DIGITS.findall(line) if pesel.is_valid(m)]
    found += [f"phone {m[:5]}..." for m in _MOBILE.findall(line)]
    found += [f"name {name}" for name in PATIENT_NAMES if name in line]
    found += ["bearer token" for _ in _BEARER.findall(line)]
    found += ["session cookie" for _ in _COOKIE.findall(line)]
    found += [f"secret {secret[:4]}..." for secret in SECRETS if secret in line]
    found += ["document link" for _ in _DOCUMENT_LINK.findall(line)]
    found += [f"document {m[:4]}..." for m in DOCUMENT_MARKERS if m in line][:1]
    return found


class LeakWatch(logging.Handler):
    """Every record, DEBUG and up, formatted as `frontdesk serve` prints it (traceback
    included), checked by `leaks`; keeps the count of lines and what leaked where."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.setFormatter(logging.Formatter(TEXT_FORMAT))
        self.lines = 0
        self.found: list[tuple[str, list[str]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a handler never raises: logging reports it
            self.handleError(record)
            return
        for line in text.splitlines():
            self.lines += 1
            if kinds := leaks(line):
                self.found.append((record.name, kinds))


@contextmanager
def watching() -> Iterator[LeakWatch]:
    """Every logger at DEBUG into a `LeakWatch` for the time of the block."""
    watch = LeakWatch()
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(level)
