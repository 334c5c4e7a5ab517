"""Reminder templates: jinja2 text checked when saved, rendered with dates in the patient's
language and the branch's time zone.

Checked when saved, not when sent: a template that names a parameter we do not
have is refused then, with the names it got wrong. Rendering runs in jinja2's
immutable sandbox with strict undefined values, so a template can neither reach
into Python objects nor print an empty string where a value was meant to be.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.errors import TemplateInvalid

LANGUAGES = ("pl", "uk", "ru", "en")
FALLBACK_LANGUAGE = "pl"
MAX_TEMPLATE_CHARS = 1000

# What a template may use. Visit parameters are empty outside a visit's reminders.
PARAMETERS = frozenset(
    {
        "first_name",
        "clinic",
        "branch",
        "address",
        "phone",
        "date",
        "time",
        "doctor",
        "specialty",
        "service",
    }
)

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check(templates: Mapping[str, str]) -> dict[str, str]:
    """The templates if every one is valid; `TemplateInvalid` naming the language and problem."""
    if not templates:
        raise TemplateInvalid("at least one language is needed")
    checked: dict[str, str] = {}
    for language, text in templates.items():
        if language not in LANGUAGES:
            raise TemplateInvalid(f"unknown language {language!r}", language=language)
        if not text.strip() or len(text) > MAX_TEMPLATE_CHARS:
            raise TemplateInvalid(
                f"the {language} text must have 1 to {MAX_TEMPLATE_CHARS} characters",
                language=language,
            )
        try:
            used = meta.find_undeclared_variables(_env.parse(text))
        except TemplateSyntaxError as exc:
            raise TemplateInvalid(
                f"the {language} text does not parse: {exc.message}", language=language
            ) from None
        unknown = sorted(used - PARAMETERS)
        if unknown:
            raise TemplateInvalid(
                f"the {language} text names unknown parameters: {', '.join(unknown)}",
                language=language,
                unknown=unknown,
            )
        checked[language] = text
    return checked


def render(templates: Mapping[str, str], language: str, params: Mapping[str, str]) -> str:
    """The text in `language` (else Polish, else any), with `params` filled in."""
    text = templates.get(language) or templates.get(FALLBACK_LANGUAGE)
    if text is None:
        text = next(iter(templates.values()))
    return _compiled(text).render({name: params.get(name, "") for name in PARAMETERS})


@lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    """Compiling is most of a render's cost; a clinic has a few dozen texts."""
    return _env.from_string(text)


DATE_PATTERN = "EEEE, d MMMM y"  # the day one way everywhere: "Tuesday, 1 December 2026"
TIME_PATTERN = "HH:mm"


def date_and_time(at: datetime, tz: str, language: str) -> dict[str, str]:
    """`date` ("wtorek, 1 grudnia 2026") and `time` ("08:00") as the patient reads them,
    the same in reminders, the chat, the phone's text messages and the dashboard."""
    zone = ZoneInfo(tz)
    return {
        "date": format_date(at.astimezone(zone), DATE_PATTERN, locale=language),
        "time": format_time(at, TIME_PATTERN, tzinfo=zone, locale=language),
    }


def until_day(at: datetime, tz: str, language: str) -> str:
    """The day something lasts until, as "until ..." reads it in every language: the day
    and month alone ("8 grudnia", "8 December"), which Polish, Ukrainian and Russian
    write in the genitive that "do", "до" ask for (a weekday would not be)."""
    return format_date(at.astimezone(ZoneInfo(tz)), "d MMMM", locale=language)
