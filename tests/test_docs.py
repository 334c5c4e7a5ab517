"""The prose about the layout stays true: every file or folder of this repository that the
README or a page of docs/ names in backquotes exists, so a newcomer following them never
lands on a module that has moved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = (
    "core/",
    "edge/",
    "bot/",
    "ivr/",
    "partners/",
    "frontdesk/",
    "migrations/",
    "tests/",
    "testkit/",
    "bench/",
    "locales/",
    "docs/",
)
# `core/search.py:218`, `bot/flows/`, `ivr/templates/phone.html` or `tests/x.py::test_y`,
# in backquotes
NAMED = re.compile(
    r"`((?:" + "|".join(re.escape(t) for t in TOP) + r")[\w./-]*?)(?::\d[\d-]*|::\w+)?`"
)


def named_paths(page: Path) -> list[str]:
    return sorted({m.group(1) for m in NAMED.finditer(page.read_text())})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_path_a_page_names_exists(page: Path) -> None:
    missing = [path for path in named_paths(page) if not (ROOT / path).exists()]
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def test_the_pages_name_paths_at_all() -> None:
    assert len(named_paths(ROOT / "README.md")) >= 10
