"""What a partner's answer says in its headers, read without I/O (the sans-I/O parsers
and the HTTP clients both read them)."""

from __future__ import annotations

import math
from datetime import datetime


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After (or rate-limit reset) in seconds; None when absent or not a number."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds is not None and math.isfinite(seconds) else None


def reset_in_seconds(value: str | None, now: datetime) -> float | None:
    """A rate-limit reset given as seconds or as an ISO 8601 date (Docplanner's
    `X-RateLimit-Reset`), in seconds from `now`; None when absent or unreadable."""
    seconds = retry_after_seconds(value)
    if seconds is not None or not value:
        return seconds
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return max((at - now).total_seconds(), 0.0)
