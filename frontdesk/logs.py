"""What the processes write to their logs, and what never reaches them.

Every line carries the id of the request (or worker pass) it belongs to: a webhook's
id comes from the reverse proxy's `X-Request-Id` when it is a plain token, else is
made here, and is sent back in the response's `X-Request-Id`. It lives in a context
variable (core/cause.py), so what the request sets going (the Telegram sends after the
webhook has answered, the SMS confirming a visit booked by phone) logs under the same
id, and so do the jobs a worker runs later for it: the rows it queues keep the id. With
LOG_FORMAT=json each line is one JSON object (python-json-logger).

aiohttp refuses a request it cannot parse (a request line or a header over
8190 bytes, a bad header, a method that is not HTTP) with a 400 and logs the
parser's exception, whose text quotes the start of the offending line: the
query of a booking search (PESEL, phone, name), a bearer token, a cookie. The
filter here keeps the fact (who, which refusal) and drops the quote. The 400's
body still quotes it back to the client who sent it (aiohttp writes it before
any of our code runs).
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
from typing import TextIO

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from pythonjsonlogger.json import JsonFormatter

from core.cause import CAUSE, caused_by

# The logger aiohttp's server protocol reports refused requests on.
SERVER_LOGGER = "aiohttp.server"
REQUEST_ID_HEADER = "X-Request-Id"
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")  # a proxy's id; anything else is replaced
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(8)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _GIVEN_ID.fullmatch(given) else new_id()
    with caused_by(request_id):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[REQUEST_ID_HEADER] = request_id
            raise
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request or pass it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):  # the access log names its request itself
            record.request_id = CAUSE.get()
        return True


def log_handler(fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """A handler writing text lines, or JSON lines (`fmt="json"`), each with its request id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    formatter: logging.Formatter = (
        JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        if fmt == "json"
        else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(formatter)
    return handler


def configure_logging(level: str, fmt: str = "text") -> None:
    """One handler on stderr for every logger (unless the root has one already: a test's)."""
    logging.basicConfig(level=level, handlers=[log_handler(fmt)])


class RefusedRequestFilter(logging.Filter):
    """Rewrites aiohttp's record of an unparsable request: the exception's class and
    status stay, its text (a quote of the request) and traceback go."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "refused an unparsable request from %s: %s (%s)"
            record.args = (_remote(record), type(exc).__name__, exc.code)
            record.exc_info = None
            record.exc_text = None
            # The client's fault, not ours: a warning, so alerts on errors stay quiet.
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _remote(record: logging.LogRecord) -> object:
    """The client's address aiohttp passed as the message's only argument."""
    args = record.args
    return args[0] if isinstance(args, tuple) and args else "unknown"


def hide_refused_requests() -> None:
    """Install the filter on aiohttp's server logger, once."""
    logger = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(f, RefusedRequestFilter) for f in logger.filters):
        logger.addFilter(RefusedRequestFilter())
