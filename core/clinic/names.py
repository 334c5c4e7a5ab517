"""The catalog in four languages: a service's, a specialty's or a branch's name in the
patient's language, stored with the catalog row (`names`), the Polish `name` as every
language's fallback; a doctor's title likewise (`titles`, the Polish `title`). Used alike
by the chat, the phone menu, the public page and the SMART feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from core.errors import InvalidInput
from core.models import Doctor

NAME_LANGUAGES = ("pl", "uk", "ru", "en")
MAX_NAME = 200


class Named(Protocol):
    name: str
    names: dict[str, str]


def translated(names: Mapping[str, str], polish: str, language: str) -> str:
    """The translation in `language`, else the Polish (for columns read without their row)."""
    return names.get(language) or polish


def local_name(row: Named, language: str) -> str:
    """`row`'s name in `language`, else its Polish name."""
    return translated(row.names, row.name, language)


def local_title(doctor: Doctor, language: str) -> str:
    """A doctor's title in `language` ("Dr", "лікар"), else the Polish one ("lek.")."""
    return translated(doctor.titles, doctor.title, language)


def doctor_name(doctor: Doctor, language: str) -> str:
    """Title, first and last name, the title in `language`."""
    return titled(local_title(doctor, language), doctor.first_name, doctor.last_name)


def titled(title: str, first_name: str, last_name: str) -> str:
    """A doctor's name as shown: title, first and last name ("lek. Anna Kowalska")."""
    return f"{title} {first_name} {last_name}".strip()


def checked_names(names: Mapping[str, str] | None) -> dict[str, str]:
    """Translations to store: known languages only, each a non-empty name of at most 200
    characters; an empty one is dropped (its language falls back to Polish)."""
    checked: dict[str, str] = {}
    for language, name in (names or {}).items():
        if language not in NAME_LANGUAGES:
            raise InvalidInput(f"names: unknown language {language[:8]!r}", field="names")
        if len(name) > MAX_NAME:
            raise InvalidInput(
                f"names: at most {MAX_NAME} characters", field="names", reason="too_long"
            )
        if name.strip():
            checked[language] = name.strip()
    return checked
