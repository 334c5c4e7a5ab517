"""How long a call takes the caller, estimated from what they hear and what they answer:
the phone menu's goals (a known caller books the earliest visit in 60 s, a new caller in
90 s) measured the same way before and after each change.

Every <Say> is timed at one speaking rate for all languages (`CHARACTERS_PER_SECOND`, as
Amazon Polly's voices read: about 150 words a minute) plus a pause between sentences.
What is said inside a <Gather> can be interrupted: a caller pressing an option's key is
counted until that option was read, a caller typing digits or speaking until the
question ends. What is said outside a <Gather> is heard to the end. Then the caller's
own answer: a key, eight digits, or a name said aloud."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from testkit.phone import Phone

CHARACTERS_PER_SECOND = 14.0
PAUSE_SECONDS = 0.3  # between two <Say>s
KEY_SECONDS = 1.0  # to find and press one key after hearing it
DIGIT_SECONDS = 0.6  # each further key of a number typed from memory
SPOKEN_WORD_SECONDS = 0.5
END_OF_SPEECH_SECONDS = 1.0  # Twilio's speechTimeout="auto" waits for the caller to stop


def spoken_seconds(text: str | None) -> float:
    return len(text or "") / CHARACTERS_PER_SECOND + PAUSE_SECONDS


def heard_seconds(twiml: ElementTree.Element, key: str | None = None) -> float:
    """What the caller hears of one answer before answering: all of it outside the
    Gather, and inside it up to the option of `key` (all of it when None)."""
    total = 0.0
    for verb in twiml:
        if verb.tag == "Say":
            total += spoken_seconds(verb.text)
        elif verb.tag == "Gather":
            for said in verb.iter("Say"):
                total += spoken_seconds(said.text)
                if key is not None and re.search(rf"\b{re.escape(key)}\.?$", said.text or ""):
                    break
            break
    return total


class TimedCall(Phone):
    """A caller who answers as soon as they can, with the call's seconds added up (with
    `barge_in` False, one who hears every prompt to its end)."""

    seconds: float = 0.0
    barge_in: bool = True

    async def press(self, digits: str) -> ElementTree.Element:
        if len(digits) == 1:
            key = digits if self.barge_in else None
            self.seconds += heard_seconds(self.twiml, key) + KEY_SECONDS
        else:
            self.seconds += heard_seconds(self.twiml) + KEY_SECONDS
            self.seconds += DIGIT_SECONDS * (len(digits) - 1)
        return await super().press(digits)

    async def say(self, speech: str) -> ElementTree.Element:
        self.seconds += heard_seconds(self.twiml)
        self.seconds += SPOKEN_WORD_SECONDS * len(speech.split()) + END_OF_SPEECH_SECONDS
        return await super().say(speech)

    def ended(self) -> float:
        """The call's seconds once the last news (outside the Gather) was heard."""
        news = [verb for verb in self.twiml if verb.tag == "Say"]
        return round(self.seconds + sum(spoken_seconds(s.text) for s in news), 1)
