"""The request (or worker pass) that caused a piece of work, so the logs can follow it.

A webhook's id is set here going (frontdesk/logs.py), and the rows the request
queues for later (outbox events, notifications, partner operations) keep it in
their `cause` column: the worker that delivers one logs under the id of the
request that made it, so one id finds the webhook and every job it caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

NONE = "-"
CAUSE: ContextVar[str] = ContextVar("frontdesk_cause", default=NONE)


def current_cause() -> str | None:
    """The id of the request or pass under way, None outside of one."""
    cause = CAUSE.get()
    return None if cause == NONE else cause


@contextmanager
def caused_by(cause: str | None) -> Iterator[None]:
    """Log the lines of this block (and of the tasks it starts) under `cause`; None
    leaves the current one (a row queued before rows carried their cause)."""
    if cause is None:
        yield
        return
    token = CAUSE.set(cause)
    try:
        yield
    finally:
        CAUSE.reset(token)
