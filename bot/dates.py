"""Reading a date a patient typed in a chat (24.05.1987, 24/05/1987, 1987-05-24): shared
by the journeys that ask for one (registering for a visit, linking a card)."""

from __future__ import annotations

from datetime import date, datetime


def parse_date(text: str) -> date | None:
    cleaned = text.strip().replace("/", ".").replace("-", ".").replace(" ", "")
    for pattern in ("%d.%m.%Y", "%Y.%m.%d"):
        try:
            return datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return None
