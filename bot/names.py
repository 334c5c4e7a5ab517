"""A person's name as a patient types it into the chat (theirs, or their child's)."""

from __future__ import annotations

MAX_PART = 100  # characters of one name, as the card keeps them


def full_name(text: str) -> tuple[str, str] | None:
    """First and last name from what was typed (the words after the first are the last
    name), or None when that is not two names of at most MAX_PART characters each."""
    parts = text.split()
    if len(parts) < 2 or any(len(p) > MAX_PART for p in parts):
        return None
    return parts[0], " ".join(parts[1:])
