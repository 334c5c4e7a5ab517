"""Every log line a test run writes, and what must never be in one.

As a pytest plugin (`-p testkit.log_scan`, with FRONTDESK_LOG_SCAN naming a file) it
records every record of every logger, DEBUG and up, formatted with its traceback, as
`frontdesk serve` would print it. `leaks` finds in such lines (but the fakes' own
access lines) a valid PESEL, a mobile number, a patient's name from the test data, a
bearer token, a session cookie, one of the fakes' secrets, a document link's token, or
the name or a line of content of the tests' documents.
"""

from __future__ import annotations

import logging
import os
import re

import pytest
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

FILE_VARIABLE = "FRONTDESK_LOG_SCAN"

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


def pytest_configure(config: pytest.Config) -> None:
    path = os.environ.get(FILE_VARIABLE)
    if not path:
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
