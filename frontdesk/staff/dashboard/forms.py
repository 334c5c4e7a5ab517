"""Reading what a browser sends: ids, dates, choices and the page to go back to.

Anything malformed is a 400 with a page saying so; a choice outside its list is
refused, never guessed. Scope is never read from here: it comes from the
signed-in member (`frontdesk.staff.dashboard.access`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import TypeVar

from aiohttp import web

from core.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2**31 - 1
MAX_TEXT = 4096
HOME = "/staff/today"


def optional_id(values: Mapping[str, str], name: str) -> int | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or not 0 < int(raw) <= MAX_ID:
        raise InvalidInput(f"{name} must be a positive number", field=name)
    return int(raw)


def required_id(values: Mapping[str, str], name: str) -> int:
    found = optional_id(values, name)
    if found is None:
        raise InvalidInput(f"{name} is required", field=name)
    return found


def path_id(raw: str) -> int:
    """A numeric id from the URL (the route pattern admits digits only)."""
    if len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise InvalidInput("no such id", field="id")
    return int(raw)


def optional_date(values: Mapping[str, str], name: str) -> date | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_date(name)
    except ValueError:
        return _bad_date(name)


def _bad_date(name: str) -> date:
    raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)", field=name)


def optional_choice(values: Mapping[str, str], name: str, kind: type[E]) -> E | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise InvalidInput(f"{name} is not one of the choices", field=name) from None


def text(values: Mapping[str, str], name: str, limit: int = MAX_TEXT) -> str:
    raw = values.get(name, "").strip()
    if len(raw) > limit:
        raise InvalidInput(f"{name} has at most {limit} characters", field=name)
    return raw


def back_to(values: Mapping[str, str], default: str = HOME) -> str:
    """Where to return after a form: a dashboard path only, never another site."""
    target = values.get("next", "")
    if target.startswith("/staff/") and target.isprintable() and "\\" not in target:
        return target
    return default


def required_choice(values: Mapping[str, str], name: str, kind: type[E]) -> E:
    found = optional_choice(values, name, kind)
    if found is None:
        raise InvalidInput(f"{name} is required", field=name)
    return found


async def posted(request: web.Request) -> dict[str, str]:
    """The fields of a posted form (file parts are ignored)."""
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
