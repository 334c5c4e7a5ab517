"""The one guard for text from outside, used by every face before anything reaches the
database or a log: the chat (Telegram, WhatsApp, the web chat), the phone's speech, the
staff API, the partners' notifications (pushed or pulled).

A patient's words are cleaned, never refused (nothing they say is lost over a stray
character): NUL and the other C0/C1 control characters (but tab and line breaks) and
unpaired surrogates, which neither PostgreSQL nor UTF-8 can store, are dropped, and the
text is cut to the face's limit. An API client's request is refused instead, naming
what is wrong (`problem`), since a program can send it again correctly.
"""

from __future__ import annotations

import re

# C0 controls but \t \n \r, DEL and the C1 controls, and any surrogate code point (in a
# Python str a surrogate is always unpaired: a valid pair decodes to one character).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str, limit: int) -> str:
    """`text` without what cannot be stored or shown, at most `limit` characters."""
    return _UNSTORABLE.sub("", text)[:limit]


def clean_optional(text: str | None, limit: int) -> str | None:
    """`clean` for an optional field; None stays None."""
    return None if text is None else clean(text, limit)


def problem(text: str) -> str | None:
    """Why `text` may not be accepted as it is (for faces that refuse), or None."""
    if "\x00" in text:
        return "text must not contain NUL characters"
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return "text must be valid Unicode"
    return "text must not contain control characters"
