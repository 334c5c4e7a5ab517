"""The one text guard: what cannot be stored is dropped (or named, for faces that refuse)."""

from __future__ import annotations

import pytest

from edge.text import clean, problem


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("hi \ud800 x", "hi  x"),
        ("a\x00b", "ab"),
        ("bell\x07 and \x1b[31mred", "bell and [31mred"),
        ("C1\x85 next", "C1 next"),
        ("line\nbreak\ttab", "line\nbreak\ttab"),
        ("Zażółć кириллица 🙂", "Zażółć кириллица 🙂"),
    ],
)
def test_clean_drops_what_cannot_be_stored(raw: str, kept: str) -> None:
    assert clean(raw, 100) == kept
    assert problem(kept) is None
    kept.encode("utf-8")  # storable anywhere


def test_clean_cuts_to_the_limit() -> None:
    assert clean("x" * 10_000, 4096) == "x" * 4096


@pytest.mark.parametrize(
    ("raw", "why"),
    [("a\x00b", "NUL"), ("a\udc00", "Unicode"), ("a\x1bb", "control")],
)
def test_problem_names_the_fault(raw: str, why: str) -> None:
    refused = problem(raw)
    assert refused is not None
    assert why in refused
