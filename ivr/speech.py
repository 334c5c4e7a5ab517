"""What a caller said, matched to the options of the prompt they heard (pure).

Twilio's transcript is free text ("chciałabym się umówić do kardiologa"); each option
carries a few words, and the option whose word resembles the transcript best wins,
diacritics, case and inflected endings forgiven, or none below the cut-off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz

from core.patients.identity import fold_name

CUTOFF = 80
_PUNCTUATION = re.compile(r"[^\w\s]")
MIN_PARTIAL = 4  # shorter words ("tak", "lek") must be said as they are


def match(said: str, options: Mapping[str, Sequence[str]]) -> str | None:
    """The key of the option whose words best resemble `said`, or None."""
    heard = " ".join(_PUNCTUATION.sub(" ", fold_name(said)).split())
    if not heard:
        return None
    best: tuple[float, int, str] | None = None
    for key, words in options.items():
        for word in words:
            folded = fold_name(word)
            score = _score(heard, folded)
            # On a tie the longer word wins: "konsultacja rozszerzona" over "konsultacja".
            if score >= CUTOFF and (best is None or (score, len(folded)) > best[:2]):
                best = (score, len(folded), key)
    return best[2] if best else None


def _score(heard: str, word: str) -> float:
    """How well `word` is found in what was heard: anywhere in it, its ending aside
    ("kowalskiej" finds "kowalska"); a word too short for that must match a whole word."""
    if not word:
        return 0.0
    if len(word) < MIN_PARTIAL:
        return 100.0 if word in heard.split() else 0.0
    if len(word) > len(heard):  # only part of the word was said: the whole must resemble it
        return float(fuzz.ratio(word, heard))
    return float(fuzz.partial_ratio(word, heard))
