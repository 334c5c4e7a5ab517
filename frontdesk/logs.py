"""What the processes write to their logs, and what never reaches them.

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

from aiohttp.http_exceptions import HttpProcessingError

# The logger aiohttp's server protocol reports refused requests on.
SERVER_LOGGER = "aiohttp.server"


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
