"""The catalogs in `locales/` keep up with the code: every text the faces mark with `_`
(in Python and in the templates, as `babel.cfg` maps them) is in the template
`messages.pot` and translated in Polish, Ukrainian and Russian, so no patient or
member meets an English fallback in the middle of their own language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from edge.i18n import LOCALES

ROOT = LOCALES.parent
NOT_SCANNED = {".venv", "var", "tests", "testkit", "bench", ".git", "test-artifacts"}


@cache
def marked_texts() -> frozenset[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None},
        directory_filter=lambda path: not NOT_SCANNED & set(Path(path).parts),
    )
    return frozenset(
        message if isinstance(message, str) else message[0] for _, _, message, _, _ in found
    )


def test_the_code_marks_texts_in_every_face() -> None:
    texts = marked_texts()
    assert "Back to the inbox" in texts  # the dashboard's templates
    assert len(texts) > 300


def test_the_template_holds_every_marked_text() -> None:
    with (LOCALES / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert marked_texts() <= template


@pytest.mark.parametrize("language", ["pl", "uk", "ru"])
def test_every_marked_text_is_translated(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    untranslated = sorted(
        text for text in marked_texts() if not (m := catalog.get(text)) or not m.string
    )
    assert not untranslated


@pytest.mark.parametrize("language", ["pl", "uk", "ru", "en"])
def test_the_chat_writes_a_date_as_the_reminders_do(language: str) -> None:
    from datetime import UTC, datetime

    from core.messaging.templates import date_and_time
    from edge.i18n import Texts

    at = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    reminder = date_and_time(at, "Europe/Warsaw", language)
    assert Texts(language).when(at, "Europe/Warsaw") == f"{reminder['date']}, {reminder['time']}"
    if language == "en":
        assert reminder["date"] == "Monday, 7 December 2026"


# Informal address in Polish: 2nd-person verbs ("odwołujesz", "możesz"), "ty" and its
# pronouns, and the informal imperatives of sentences (buttons may name an action).
INFORMAL_PL = (
    r"\b(?!klawisz\b)(\w+(?:esz|isz|ysz|jesz)|twoj\w*|twó\w*|ty|ciebie|cię|tobie|wpisz|naciśnij"
    r"|wybierz|podaj|napisz|spróbuj|zignoruj|odczekaj|sprawdź|powiedz|zostaw)\b"
)
PATIENT_FACES = ("bot", "ivr", "core", "frontdesk/public")
HEARD = re.compile(r"[a-z ,]+")  # words a caller may say ("no, keep it"), not said to them


@cache
def patient_texts() -> frozenset[str]:
    """The texts patients meet: the chat, the phone, the messages and the public pages."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None},
        directory_filter=lambda path: not NOT_SCANNED & set(Path(path).parts),
    )
    return frozenset(
        message if isinstance(message, str) else message[0]
        for filename, _, message, _, _ in found
        if filename.startswith(PATIENT_FACES)
    )


def test_polish_addresses_patients_formally() -> None:
    with (LOCALES / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    informal = sorted(
        (text, str(m.string))
        for text in patient_texts()
        if not HEARD.fullmatch(text)
        and (m := catalog.get(text))
        and re.search(INFORMAL_PL, str(m.string), re.IGNORECASE)
    )
    assert len(patient_texts()) > 150
    assert not informal


@pytest.mark.parametrize(
    ("language", "price"),
    [
        ("pl", "250,00\xa0zł"),
        ("uk", "250,00\xa0PLN"),
        ("ru", "250,00\xa0PLN"),
        ("en", "250.00\xa0PLN"),
    ],
)
def test_prices_read_as_each_language_writes_them(language: str, price: str) -> None:
    from decimal import Decimal

    from edge.i18n import Texts

    assert Texts(language).money(Decimal("250.00"), "PLN") == price
