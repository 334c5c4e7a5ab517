"""What a patient typed or said, matched to the catalog in any of the four languages and
either alphabet: "кардіолог", "кардиолог", "cardiologist" and "kardiolog" all find
cardiology; "Шевченко" finds Dr Szewczenko; typos are forgiven (rapidfuzz).

Texts are folded to lower-case Latin (`anyascii`) before comparing, so Cyrillic and
Polish diacritics meet on common ground. A specialty's words in four languages are
known by its code (`SPECIALTY_WORDS`, one distinctive word each: a name is matched by
its best-matched word); a service is also found by its own name and by its specialty's
words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz

from core.models import Doctor, Service, Specialty

CUTOFF = 75  # below this a guess is not offered
SHORT = 4  # words shorter than this ("lor", "ent", "gp") count only when typed exactly
NEAR = 5  # matches within this many points of the best are all offered
PREFIX = 95.0  # a typed word that starts a name's word, or is started by one

# What patients call each specialty, in Polish, English, Ukrainian and Russian.
SPECIALTY_WORDS: dict[str, tuple[str, ...]] = {
    "internal": (
        "internista",
        "interna",
        "rodzinny",
        "internist",
        "practitioner",
        "терапевт",
        "сімейний",
        "семейный",
    ),
    "paediatrics": (
        "pediatra",
        "pediatria",
        "paediatrician",
        "pediatrician",
        "педіатр",
        "педиатр",
        "дитячий",
        "детский",
    ),
    "cardiology": (
        "kardiolog",
        "kardiologia",
        "serce",
        "cardiologist",
        "cardiology",
        "heart",
        "кардіолог",
        "кардиолог",
        "серце",
        "сердце",
    ),
    "dermatology": (
        "dermatolog",
        "dermatologia",
        "skóra",
        "znamię",
        "dermatologist",
        "skin",
        "mole",
        "дерматолог",
        "шкіра",
        "кожа",
        "родимка",
        "родинка",
    ),
    "gynaecology": (
        "ginekolog",
        "ginekologia",
        "gynaecologist",
        "gynecologist",
        "гінеколог",
        "гинеколог",
    ),
    "orthopaedics": (
        "ortopeda",
        "ortopedia",
        "orthopaedist",
        "orthopedist",
        "ортопед",
        "травматолог",
    ),
    "ent": (
        "laryngolog",
        "laryngologia",
        "ent",
        "throat",
        "otolaryngologist",
        "лор",
        "отоларинголог",
        "оториноларинголог",
    ),
}


# Polish spelling and the Latin letters of Cyrillic differ for the same sounds:
# "Szewczenko" and "Шевченко" ("shevchenko") meet as "shevchenko".
SOUNDS = (("szcz", "shch"), ("sz", "sh"), ("cz", "ch"), ("rz", "zh"), ("w", "v"))


def _score(words: list[str], alias: str) -> float:
    """How well the typed words name `alias`: its best-matched word. A short alias ("lor")
    must be typed as a word; the short words inside a longer name ("i", "z") never count."""
    if len(alias) < SHORT:
        return 100.0 if alias in words else 0.0
    parts = [part for part in alias.split() if len(part) >= SHORT]
    return max((_similar(w, p) for w in words if len(w) >= SHORT for p in parts), default=0.0)


def _similar(typed: str, word: str) -> float:
    """How alike one typed word and one word of a name are: the start of a word counts as
    the word ("kardiolog" ~ "kardiologiczna")."""
    if word.startswith(typed) or typed.startswith(word):
        return PREFIX
    return float(fuzz.ratio(typed, word))


def fold(text: str) -> str:
    """Lower-case Latin letters and digits, single spaces: the ground texts meet on."""
    latin = re.sub(r"['`ʹ’]", "", anyascii(text).lower())  # a soft sign is no word break
    for spelled, sound in SOUNDS:
        latin = latin.replace(spelled, sound)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", latin).split())


@dataclass(frozen=True)
class Found:
    """One match: a service, a doctor, or a specialty (ids), and how sure (0-100)."""

    kind: str  # "service", "doctor" or "specialty"
    id: int
    score: float


def match(
    text: str,
    services: Iterable[Service],
    doctors: Iterable[Doctor] = (),
    specialties: Iterable[Specialty] = (),
) -> list[Found]:
    """The catalog entries `text` most likely names, best first; [] when none is close."""
    query = fold(text)
    if not query:
        return []
    names: dict[tuple[str, int], list[str]] = {}
    for specialty in specialties:
        if specialty.id is not None:
            known = SPECIALTY_WORDS.get(specialty.code, ())
            names[("specialty", specialty.id)] = [
                specialty.name,
                *specialty.names.values(),
                *known,
            ]
    for service in services:
        if service.id is not None:
            names[("service", service.id)] = [service.name, *service.names.values()]
    for doctor in doctors:
        if doctor.id is not None:
            names[("doctor", doctor.id)] = [
                f"{doctor.first_name} {doctor.last_name}",
                doctor.last_name,
            ]
    words = query.split()
    scores = {
        key: max(_score(words, fold(alias)) for alias in aliases) for key, aliases in names.items()
    }
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < CUTOFF:
        return []
    best = ranked[0][1]
    return [Found(kind, id_, score) for (kind, id_), score in ranked if score >= best - NEAR]
