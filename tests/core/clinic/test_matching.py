"""Typed or spoken names matched to the catalog in four languages and both alphabets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.clinic.matching import fold, match
from core.models import Doctor, Service, Specialty

SPECIALTIES = [
    Specialty(id=1, code="cardiology", name="Kardiologia"),
    Specialty(id=2, code="dermatology", name="Dermatologia"),
    Specialty(id=3, code="ent", name="Otorynolaryngologia"),
]


def _service(id_: int, name: str, specialty: int) -> Service:
    return Service(
        id=id_,
        clinic_id=1,
        code=f"S{id_}",
        name=name,
        duration_minutes=15,
        price=Decimal("100.00"),
        specialty_id=specialty,
    )


SERVICES = [
    _service(10, "Konsultacja kardiologiczna", 1),
    _service(11, "Konsultacja dermatologiczna", 2),
    _service(12, "Konsultacja laryngologiczna", 3),
]
DOCTORS = [
    Doctor(id=20, clinic_id=1, first_name="Olena", last_name="Szewczenko"),
    Doctor(id=21, clinic_id=1, first_name="Anna", last_name="Kowalska"),
]


def test_fold_meets_on_latin() -> None:
    assert fold("Кардіолог") == fold("кардиолог") == "kardiolog"
    assert fold("Ковальська") == "kovalska"
    assert fold("  Łódź,  Zażółć! ") == "lodz zazolc"
    assert fold("Szewczenko") == fold("Шевченко") == "shevchenko"


@pytest.mark.parametrize(
    "typed",
    ["кардіолог", "кардиолог", "cardiologist", "Kardiolog", "kardiolgo", "серце", "heart"],
)
def test_a_specialty_in_any_language(typed: str) -> None:
    found = {(f.kind, f.id) for f in match(typed, SERVICES, DOCTORS, SPECIALTIES)}
    assert found
    assert found <= {("specialty", 1), ("service", 10)}


@pytest.mark.parametrize("typed", ["I want to see a dermatologist", "дерматолог", "skóra"])
def test_a_sentence_naming_a_specialty(typed: str) -> None:
    kinds = {(f.kind, f.id) for f in match(typed, SERVICES, DOCTORS, SPECIALTIES)}
    assert kinds & {("specialty", 2), ("service", 11)}
    assert ("specialty", 1) not in kinds


@pytest.mark.parametrize(
    ("typed", "doctor"), [("Шевченко", 20), ("Ковальська", 21), ("kowalsk", 21)]
)
def test_a_doctor_in_either_alphabet(typed: str, doctor: int) -> None:
    found = match(typed, SERVICES, DOCTORS, SPECIALTIES)
    assert found[0].kind == "doctor"
    assert found[0].id == doctor


@pytest.mark.parametrize("typed", ["hello", "привіт", "qwerty", "", "!!!", "a", "lorem ipsum"])
def test_words_that_name_nothing_find_nothing(typed: str) -> None:
    assert match(typed, SERVICES, DOCTORS, SPECIALTIES) == []


def test_a_short_word_counts_only_whole() -> None:
    assert [f.id for f in match("лор", SERVICES, DOCTORS, SPECIALTIES)] == [3]
    assert match("kolor", SERVICES, DOCTORS, SPECIALTIES) == []
