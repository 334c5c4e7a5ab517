"""A Twilio Voice webhook's form fields as a `VoiceInput` (pure): ids and numbers checked,
keys and transcripts bounded, so nothing oversized or malformed reaches the flow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from edge.text import clean

_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # "CA" + 32 hex in practice
_DIGITS = re.compile(r"[0-9*#]{0,32}")
MAX_SPEECH = 500
MAX_FIELD = 300
# Queue and recording fields the flow reads; anything else Twilio sends is ignored.
EXTRAS = (
    "QueuePosition",
    "QueueTime",
    "QueueResult",
    "RecordingUrl",
    "RecordingDuration",
    "CallStatus",
    "CallDuration",
    "Confidence",
)


class InvalidVoiceInput(ValueError):
    """A required field is missing or malformed; `field` names it (never its value)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"missing or invalid {field}")
        self.field = field


@dataclass(frozen=True)
class VoiceInput:
    call_sid: str
    caller: str  # From: "+48601234501", or "anonymous" when withheld
    called: str  # To: the clinic's number the caller dialled
    digits: str = ""
    speech: str = ""
    step: str = ""  # the prompt answered ("n" in the action URL), to spot replays
    extras: Mapping[str, str] = field(default_factory=dict)

    @property
    def silent(self) -> bool:
        return not self.digits and not self.speech.strip()


def parse_voice(form: Mapping[str, str], query: Mapping[str, str]) -> VoiceInput:
    sid = form.get("CallSid", "")
    if not _SID.fullmatch(sid):
        raise InvalidVoiceInput("CallSid")
    digits = form.get("Digits", "")
    if not _DIGITS.fullmatch(digits):
        raise InvalidVoiceInput("Digits")
    step = query.get("n", "")
    if len(step) > 12:
        raise InvalidVoiceInput("n")
    return VoiceInput(
        call_sid=sid,
        caller=clean(form.get("From", ""), 32),
        called=clean(form.get("To", ""), 32),
        digits=digits,
        speech=clean(form.get("SpeechResult", ""), MAX_SPEECH),
        step=step,
        extras={k: clean(form[k], MAX_FIELD) for k in EXTRAS if k in form},
    )


def number(value: str, default: int = 0) -> int:
    """A small non-negative integer field ("QueueTime"), or `default` when it is not one."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else default
