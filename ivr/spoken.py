"""Dates, times, slots and opening hours worded to be read aloud in the caller's language,
in the branch's time zone ("Tuesday, the 1st of December at 09:00, doctor Anna Kowalska")."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from anyascii import anyascii
from babel.dates import format_date, format_time

from core.clinic.hours import periods_on
from core.models import Branch, Doctor
from edge.i18n import Texts


def ordinal(day: int, language: str) -> str:
    """ "1st", "22nd" in English; the plain number elsewhere (the voices inflect it)."""
    if language != "en":
        return str(day)
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def spoken_day(texts: Texts, day: date) -> str:
    lang = texts.language
    return texts._(
        "{weekday}, the {day} of {month}",
        weekday=format_date(day, "EEEE", locale=lang),
        day=ordinal(day.day, lang),
        month=format_date(day, "MMMM", locale=lang),
    )


def spoken_time(texts: Texts, at: datetime, tz: str) -> str:
    return format_time(at, "HH:mm", tzinfo=ZoneInfo(tz), locale=texts.language)


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_VOICES = ("pl", "en")


def person_name(texts: Texts, name: str) -> str:
    """A patient's name as the line's voice can say it and its recognizer hear it: a name
    written in Cyrillic is spelled in Latin letters on a Polish or English line ("Олеся" is
    said "Olesya"), where a voice of that language has no sounds for those letters."""
    if texts.language in _LATIN_VOICES and _CYRILLIC.search(name):
        return anyascii(name).replace("'", "")
    return name


def doctor_name(doctor: Doctor) -> str:
    """The name as said aloud: without the written title ("lek.", "dr n. med.")."""
    return f"{doctor.first_name} {doctor.last_name}"


def spoken_slot(texts: Texts, start: datetime, tz: str, doctor: str) -> str:
    local = start.astimezone(ZoneInfo(tz))
    return texts._(
        "{day} at {time}, doctor {doctor}",
        day=spoken_day(texts, local.date()),
        time=spoken_time(texts, local, tz),
        doctor=doctor,
    )


def open_now(branch: Branch, now: datetime) -> bool:
    """Whether the branch is open at this moment (the greeting says the hours otherwise)."""
    local = now.astimezone(ZoneInfo(branch.timezone))
    return any(a <= local.time() < b for a, b in periods_on(branch, local.date()))


def hours_today(texts: Texts, branch: Branch, now: datetime) -> str:
    today = now.astimezone(ZoneInfo(branch.timezone)).date()
    periods = periods_on(branch, today)
    if not periods:
        return texts._("Today we are closed.")
    ranges = ", ".join(
        texts._("from {start} to {end}", start=a.strftime("%H:%M"), end=b.strftime("%H:%M"))
        for a, b in periods
    )
    return texts._("Today we are open {ranges}.", ranges=ranges)


def week_hours(texts: Texts, branch: Branch, now: datetime) -> str:
    """Each day of the coming week that the branch opens, with its hours."""
    today = now.astimezone(ZoneInfo(branch.timezone)).date()
    monday = date.fromordinal(today.toordinal() - today.weekday())
    lines = []
    for offset in range(7):
        day = date.fromordinal(monday.toordinal() + offset)
        periods = periods_on(branch, day)
        if periods:
            ranges = ", ".join(
                texts._("from {start} to {end}", start=a.strftime("%H:%M"), end=b.strftime("%H:%M"))
                for a, b in periods
            )
            lines.append(f"{format_date(day, 'EEEE', locale=texts.language)}: {ranges}.")
    return " ".join(lines)


def address(texts: Texts, branch: Branch) -> str:
    return texts._("Address: {address}, {city}.", address=branch.address, city=branch.city)
