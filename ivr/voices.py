"""Which Twilio voice reads each language, and the language code its speech recognition
listens in (both from Twilio's lists: Polly has no Ukrainian voice, Google has)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    name: str  # <Say voice=...>
    code: str  # <Say language=...> and <Gather language=...>


VOICES = {
    "pl": Voice("Polly.Ewa", "pl-PL"),
    "uk": Voice("Google.uk-UA-Standard-A", "uk-UA"),
    "ru": Voice("Polly.Tatyana", "ru-RU"),
    "en": Voice("Polly.Amy", "en-GB"),
}


def voice_for(language: str) -> Voice:
    return VOICES.get(language, VOICES["pl"])
