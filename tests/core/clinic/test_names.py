"""The catalog's names in four languages, Polish as the fallback."""

from __future__ import annotations

import pytest

from core.clinic.names import checked_names, local_name
from core.errors import InvalidInput
from core.models import Specialty


def test_a_name_in_the_patients_language_else_polish() -> None:
    cardiology = Specialty(code="cardiology", name="Kardiologia", names={"en": "Cardiology"})
    assert local_name(cardiology, "en") == "Cardiology"
    assert local_name(cardiology, "uk") == "Kardiologia"
    assert local_name(cardiology, "pl") == "Kardiologia"


def test_only_known_languages_and_sane_names_are_stored() -> None:
    assert checked_names({"en": " Cardiology ", "uk": "  "}) == {"en": "Cardiology"}
    assert checked_names(None) == {}
    with pytest.raises(InvalidInput):
        checked_names({"de": "Kardiologie"})
    with pytest.raises(InvalidInput):
        checked_names({"en": "x" * 201})
