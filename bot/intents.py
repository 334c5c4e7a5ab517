"""What a patient means by free text typed at the menu, in any of the four languages and
either alphabet: book, my visits, cancel, the clinic's hours, a person, or just hello.

Words are folded like the catalog's (`core.clinic.matching.fold`): a stem matches the
start of a typed word, a stem of several words the start of a run of them, and a stem
of up to three letters ("hi") only a whole word.
"""

from __future__ import annotations

from enum import StrEnum

from core.clinic.matching import fold


class Intent(StrEnum):
    PERSON = "person"
    CANCEL = "cancel"
    VISITS = "visits"
    HOURS = "hours"
    BOOK = "book"
    HELLO = "hello"


# Checked in this order: "cancel my visit" is a cancellation, "my appointments" is not a
# new booking.
STEMS: dict[Intent, tuple[str, ...]] = {
    Intent.PERSON: (
        "człowiek",
        "konsultant",
        "rejestrac",
        "recepcj",
        "pracownik",
        "person",
        "human",
        "operator",
        "agent",
        "receptionist",
        "людин",
        "человек",
        "оператор",
        "адміністратор",
        "администратор",
        "реєстратур",
        "регистратур",
    ),
    Intent.CANCEL: (
        "odwoł",
        "odwol",
        "anulow",
        "cancel my",
        "cancel the",
        "cancel an",
        "скасув",
        "відмін",
        "отмен",
    ),
    Intent.VISITS: (
        "moje wizyt",
        "moja wizyt",
        "moje rezerw",
        "my visit",
        "my appoint",
        "my booking",
        "мої віз",
        "мои виз",
        "мої запис",
        "мои запис",
        "przełoż",
        "przenie",
        "reschedul",
        "move my",
        "перенес",
    ),
    Intent.HOURS: (
        "godzin",
        "otwar",
        "czynne",
        "adres",
        "dojazd",
        "hours",
        "open",
        "address",
        "where are",
        "годин",
        "адрес",
        "часы работ",
        "графік",
        "график",
        "де ви",
        "где вы",
    ),
    Intent.BOOK: (
        "umów",
        "umow",
        "umaw",
        "zapis",
        "rezerw",
        "wizyt",
        "book",
        "appointment",
        "visit",
        "запис",
        "візит",
        "визит",
        "прийом",
        "прием",
    ),
    Intent.HELLO: (
        "hello",
        "hi",
        "hey",
        "cześć",
        "czesc",
        "dzień dobry",
        "dzien dobry",
        "witam",
        "привіт",
        "привет",
        "добрий день",
        "добрый день",
        "здравствуйте",
        "вітаю",
    ),
}
_FOLDED = {intent: tuple(fold(stem) for stem in stems) for intent, stems in STEMS.items()}


def intent_of(text: str) -> Intent | None:
    """The first intent (in `STEMS` order) whose stem the text holds, or None."""
    words = fold(text).split()
    for intent, stems in _FOLDED.items():
        if any(_holds(words, stem.split()) for stem in stems):
            return intent
    return None


def _holds(words: list[str], stem: list[str]) -> bool:
    size = len(stem)
    for at in range(len(words) - size + 1):
        run = words[at : at + size]
        whole = size == 1 and len(stem[0]) <= 3  # "hi" is not the start of "history"
        if run[:-1] == stem[:-1] and (
            run[-1] == stem[-1] if whole else run[-1].startswith(stem[-1])
        ):
            return True
    return False
