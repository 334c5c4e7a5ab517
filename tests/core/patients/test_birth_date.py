"""The birth-date rule both faces ask by: no date in the future, none before 1900."""

from __future__ import annotations

from datetime import date

import pytest

from core.patients.cards import plausible_birth_date

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("born", "plausible"),
    [
        (date(1987, 5, 24), True),
        (TODAY, True),
        (date(1900, 1, 1), True),
        (date(1899, 12, 31), False),
        (date(2026, 12, 2), False),
    ],
)
def test_a_birth_date_is_between_1900_and_today(born, plausible):
    assert plausible_birth_date(born, TODAY) is plausible
