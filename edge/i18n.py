"""Texts in the patient's language (pl, uk, ru, en) from the gettext catalogs in `locales/`,
and dates and times formatted by babel for that language in the branch's time zone.

The catalogs are read from their `.po` sources at start (no compiled files to
keep in step); English is the source language.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from core.messaging.templates import date_and_time

LANGUAGES = ("pl", "uk", "ru", "en")
DEFAULT_LANGUAGE = "pl"
LOCALES = Path(__file__).resolve().parent.parent / "locales"
# English as written in Europe ("250.00 PLN"), the way the clinic's patients read prices
MONEY_LOCALES = {"en": "en_150"}
LANGUAGE_NAMES = {"pl": "Polski", "uk": "Українська", "ru": "Русский", "en": "English"}


def pick_language(hint: str | None) -> str | None:
    """A supported language from a hint like "uk-UA" or "ru", or None."""
    if not hint:
        return None
    base = hint.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def accepted_language(header: str) -> str | None:
    """The first supported language of an Accept-Language header, or None."""
    for part in header.split(","):
        language = pick_language(part.split(";")[0].strip())
        if language is not None:
            return language
    return None


@cache
def translations(language: str) -> NullTranslations:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


class Texts:
    """One language's gettext and formats; `_` is the name pybabel extracts."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._t = translations(self.language)

    def _(self, message: str, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def day(self, at: datetime | date, tz: str | None = None) -> str:
        """ "wtorek, 3 grudnia" / "Tuesday, December 3"."""
        if isinstance(at, datetime):
            at = at.astimezone(ZoneInfo(tz or "UTC")).date()
        return format_date(at, "EEEE, d MMMM", locale=self.language)

    def short_day(self, at: date) -> str:
        return format_date(at, "EEE d MMM", locale=self.language)

    def money(self, amount: Decimal, currency: str) -> str:
        """ "250,00 zł", "250,00 PLN", "250.00 PLN": babel's format for the language, in
        a region that writes the amount first (English's default, US, writes "PLN250.00")."""
        locale = MONEY_LOCALES.get(self.language, self.language)
        formatted: str = format_currency(amount, currency, locale=locale)
        return formatted

    def weekday(self, day: int) -> str:
        """An abbreviated weekday name, Monday = 0."""
        name: str = get_day_names("abbreviated", locale=self.language)[day]
        return name

    def time(self, at: datetime, tz: str) -> str:
        return format_time(at, "HH:mm", tzinfo=ZoneInfo(tz), locale=self.language)

    def when(self, at: datetime, tz: str) -> str:
        """ "Tuesday, 1 December 2026, 08:00": the reminders' date and time, one formatter."""
        parts = date_and_time(at, tz, self.language)
        return f"{parts['date']}, {parts['time']}"
