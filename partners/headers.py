"""What a partner's answer says in its headers, read without I/O (the sans-I/O parsers
and the HTTP clients both read them)."""

from __future__ import annotations

import math


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After (or rate-limit reset) in seconds; None when absent or not a number."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds is not None and math.isfinite(seconds) else None
