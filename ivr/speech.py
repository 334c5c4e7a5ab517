"""What a caller said, matched to the options of the prompt they heard (pure).

Twilio's transcript is free text ("chciałabym się umówić do kardiologa"); each option
carries a few words, and the option whose word resembles the transcript best wins,
diacritics, case and inflected endings forgiven, or none below the cut-off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz, process

from core.linking import fold_name

CUTOFF = 80


def match(said: str, options: Mapping[str, Sequence[str]]) -> str | None:
    """The key of the option whose words best resemble `said`, or None."""
    heard = fold_name(said)
    if not heard:
        return None
    choices = {
        (key, i): fold_name(word)
        for key, words in options.items()
        for i, word in enumerate(words)
        if word.strip()
    }
    best = process.extractOne(heard, choices, scorer=fuzz.WRatio, score_cutoff=CUTOFF)
    if best is None:
        return None
    _word, _score, (key, _i) = best
    return str(key)
