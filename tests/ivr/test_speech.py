"""Speech matched to the option it resembles (ivr/speech.py), pure."""

from __future__ import annotations

from ivr.speech import match


def test_speech_is_matched_to_the_option_it_resembles() -> None:
    options = {
        "1": ["rezerwacja", "umówić", "nowa wizyta"],
        "2": ["moje wizyty", "przenieść", "odwołać"],
        "3": ["recepta", "lek"],
        "~0": ["Anna Kowalska", "Kowalska"],
    }
    assert match("chciałabym się umówić", options) == "1"
    assert match("chce odwolac wizyte", options) == "2"
    assert match("do doktor kowalskiej", options) == "~0"
    assert match("Recepty", options) == "3"
    assert match("pogoda w Krakowie", options) is None
    assert match("", options) is None
    assert match("Tak, poproszę.", {"take": ["tak", "biorę"], "next": ["następny"]}) == "take"
    services = {"1": ["Konsultacja"], "2": ["Konsultacja rozszerzona"]}
    assert match("konsultacja rozszerzona", services) == "2"
    assert match("konsultację", services) == "1"
