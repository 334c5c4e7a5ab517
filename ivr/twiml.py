"""Prompts as TwiML, built with the twilio package: a <Gather> for the answer (keys and
speech) wrapping what is said, so the caller may interrupt it, then a <Redirect> to the
same action when the caller stays silent, so a timeout is an answer too and the call
never falls off the end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from edge.i18n import Texts
from ivr.voices import voice_for

SPEECH_HINTS_MAX = 100  # Twilio takes up to 500 hints; a short list recognises better


@dataclass(frozen=True)
class Option:
    key: str  # "0"-"9" or "*"
    label: str  # "To book a visit"
    action: str  # what the flow does with it: "book", "spec:3", "lang:en"
    words: tuple[str, ...] = ()  # what a caller may say for it
    language: str | None = None  # said in another language (the language switches)


@dataclass(frozen=True)
class Prompt:
    text: str
    options: Sequence[Option] = ()
    digits: int = 1  # keys to collect (8 for a date of birth)
    dtmf: bool = True
    speech: bool = True
    timeout: int = 6
    hints: Sequence[str] = ()
    simple: str = ""  # a shorter text for a caller who did not answer twice
    # Options a caller may say but is not read out (doctors' names: too many to list).
    spoken_only: Sequence[Option] = field(default_factory=tuple)

    def choices(self) -> dict[str, list[object]]:
        """Key -> [action, words], kept in the call's state to read the answer against."""
        found: dict[str, list[object]] = {o.key: [o.action, list(o.words)] for o in self.options}
        for n, o in enumerate(self.spoken_only):
            found[f"~{n}"] = [o.action, list(o.words)]
        return found


def key_name(texts: Texts, key: str) -> str:
    return {"*": texts._("star"), "#": texts._("hash")}.get(key, key)


def say(response: Any, texts: Texts, text: str, language: str | None = None) -> None:
    """A <Say> in the voice of `language` (the caller's by default) on a response or Gather."""
    voice = voice_for(language or texts.language)
    response.say(text, voice=voice.name, language=voice.code)


def speak(texts: Texts, lines: Sequence[str]) -> VoiceResponse:
    response = VoiceResponse()
    for line in lines:
        say(response, texts, line)
    return response


def render_prompt(
    texts: Texts, prompt: Prompt, action: str, *, before: Sequence[str] = (), simple: bool = False
) -> VoiceResponse:
    """`before` (news such as "your visit is booked"), then the prompt, in one response;
    all of it inside the <Gather>, so a key pressed or a word said interrupts it (barge-in:
    a caller who knows the menu need not hear it out)."""
    response = VoiceResponse()
    voice = voice_for(texts.language)
    speech = prompt.speech and not (simple and prompt.dtmf)  # simpler: keys only
    inputs = " ".join(kind for kind, on in (("dtmf", prompt.dtmf), ("speech", speech)) if on)
    hints = ", ".join(dict.fromkeys(h for h in prompt.hints if h))[: SPEECH_HINTS_MAX * 20]
    gather = response.gather(
        input=inputs,
        action=action,
        method="POST",
        timeout=prompt.timeout,
        num_digits=prompt.digits if prompt.dtmf else None,
        finish_on_key="#" if prompt.digits > 1 else None,
        speech_timeout="auto" if speech else None,
        language=voice.code if speech else None,
        hints=hints or None,
    )
    for line in before:
        say(gather, texts, line)
    text = (prompt.simple or prompt.text) if simple else prompt.text
    if text:
        say(gather, texts, text)
    for option in prompt.options:
        if option.language:
            say(gather, texts, option.label, option.language)
        elif simple:
            say(
                gather,
                texts,
                texts._(
                    "Press {key}: {label}.", key=key_name(texts, option.key), label=option.label
                ),
            )
        else:
            say(
                gather,
                texts,
                texts._(
                    "{label}: press {key}.", label=option.label, key=key_name(texts, option.key)
                ),
            )
    response.redirect(action, method="POST")
    return response
