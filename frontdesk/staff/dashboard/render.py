"""Pages in the staff member's language: one jinja2 environment per language with the
babel catalogs installed, dates formatted by babel in the branch's time zone.

The language is the member's choice, kept on their account (chosen from the menu), else
in a cookie (chosen on the login page), else the browser's preference, else Polish.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jinja2
from aiohttp import web
from babel.dates import format_date

from core.clinic.names import doctor_name, local_name
from edge import templates
from edge.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, accepted_language
from frontdesk.staff import auth as staff_auth

LANGUAGE_COOKIE = "staff_language"

# Pages are only ever for the signed-in desk: never cached, never framed, scripts from us only.
HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Templates:
    """The dashboard's templates, compiled once per language."""

    def __init__(self) -> None:
        self._environments = {language: _environment(language) for language in LANGUAGES}

    def render(self, language: str, name: str, context: Mapping[str, Any]) -> str:
        environment = self._environments.get(language) or self._environments[DEFAULT_LANGUAGE]
        return environment.get_template(name).render(context)


TEMPLATES = web.AppKey("dashboard_templates", Templates)


def _environment(language: str) -> jinja2.Environment:
    environment = templates.localized("frontdesk.staff.dashboard", "templates", language)
    environment.globals |= {"languages": LANGUAGE_NAMES}
    environment.filters |= {
        # A branch's (or service's) name and a doctor's title in this language, else Polish.
        "local": lambda row: local_name(row, language),
        "doctor": lambda doctor: doctor_name(doctor, language),
        "as_time": datetime.fromisoformat,
        "dict_without": _without,
        "long_date": lambda day: format_date(day, "d MMMM y", locale=language),
    }
    return environment


def _without(values: Mapping[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in values.items() if k != name}


def language_of(request: web.Request) -> str:
    """The signed-in member's language, else the one chosen in this browser, else the
    browser's first supported one, else Polish."""
    member = staff_auth.signed_in(request)
    if member is not None and member.language in LANGUAGES:
        return member.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return accepted_language(request.headers.get("Accept-Language", "")) or DEFAULT_LANGUAGE


def page(request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
    """Render template `name` for this request, with the page chrome's context."""
    language = language_of(request)
    html = request.app[TEMPLATES].render(
        language, name, {"lang": language, "path": request.path, **context}
    )
    return web.Response(text=html, status=status, content_type="text/html", headers=dict(HEADERS))
