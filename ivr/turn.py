"""One webhook of a call being answered (`Turn`), the services every step uses, and the
moves between steps that all journeys share.

A journey module (menu, identify, booking, visits, prescription, desk) holds its steps:
each a question (`ask`, which sets the turn's prompt) and the reading of its answer
(`answer`, False when the answer means nothing: a miss). `go` moves to a step by name,
so journeys hand callers to each other without importing each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from core.actors import Actor
from core.booking.service import BookingService
from core.calls.callbacks import CallbackService
from core.calls.store import Callers, CallSnapshot, CallStore
from core.calls.tasks import TaskService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.errors import DomainError
from core.messaging.booking_links import BookingLinks
from core.models import Booking, Branch
from core.patients.cards import PatientService
from core.patients.care import CareService
from core.patients.identity import normalize_phone
from core.schedule.search import SlotSearch
from core.vocab import Channel
from edge.i18n import Texts
from ivr.inbound import VoiceInput
from ivr.speech import match
from ivr.twiml import Option, Prompt

MENU = "menu"
BOOKING_KEYS = (
    "service",
    "services",
    "doctor",
    "slot",
    "hold",
    "after",
    "from",
    "move",
    "e_referral",
    "e_referral_tries",
    "for",
    "whom",
)


class Confirmations:
    """Where a booking made by phone is confirmed (an SMS); the face supplies it."""

    def confirm(self, booking: Booking, phone: str, language: str) -> None:
        """Schedule the confirmation; never raises, never waits for the provider."""


@dataclass(frozen=True)
class IvrPolicy:
    languages: dict[str, str] = field(default_factory=dict)  # called number -> language
    callback_offer_after: timedelta = timedelta(seconds=60)  # in the queue, then offered
    queue_pause_seconds: int = 10  # between two hold messages


@dataclass(frozen=True)
class IvrServices:
    clock: Clock
    catalog: Catalog
    search: SlotSearch
    booking: BookingService
    patients: PatientService
    care: CareService
    calls: CallStore
    callers: Callers
    callbacks: CallbackService
    tasks: TaskService
    policy: IvrPolicy = field(default_factory=IvrPolicy)
    confirmations: Confirmations = field(default_factory=Confirmations)
    links: BookingLinks | None = None  # call-to-text (None: the menu offers no link)


@dataclass
class Turn:
    """One webhook being answered: the call, its branch, what to say, what to ask next."""

    services: IvrServices
    call: CallSnapshot
    branch: Branch
    texts: Texts
    steps: Mapping[str, Step]
    before: list[str] = field(default_factory=list)
    prompt: Prompt | None = None
    simple: bool = False
    final: VoiceResponse | None = None  # a response that asks nothing (queue, goodbye)
    record: bool = False  # the answer is a recording

    @property
    def state(self) -> dict[str, Any]:
        return self.call.state

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.state.setdefault("data", {})
        return data

    @property
    def step(self) -> str:
        return str(self.state.get("step", "menu"))

    @property
    def patient_id(self) -> int:
        assert self.call.patient_id is not None, "asked only after identification"
        return self.call.patient_id

    @property
    def actor(self) -> Actor:
        return Actor.patient(self.patient_id, Channel.VOICE)

    def say(self, text: str) -> None:
        self.before.append(text)

    async def release_hold(self) -> None:
        """Give back the time held for the caller, if any (they chose another, or left)."""
        token = self.data.pop("hold", None)
        self.data.pop("slot", None)
        if token:
            await self.services.booking.release(token)

    def forget_booking(self) -> None:
        for key in BOOKING_KEYS:
            self.data.pop(key, None)


@dataclass(frozen=True)
class Step:
    ask: Callable[[Turn], Awaitable[None]]
    answer: Callable[[Turn, str | None, VoiceInput], Awaitable[bool]]


async def go(turn: Turn, step: str) -> None:
    """Move to `step` and ask its question (a fresh start: no misses yet)."""
    turn.state["step"] = step
    turn.state["misses"] = 0
    turn.simple = False
    await turn.steps[step].ask(turn)


def chosen(turn: Turn, voice: VoiceInput) -> str | None:
    """The action of the option the caller pressed or named, if any."""
    choices: dict[str, list[Any]] = turn.state.get("choices", {})
    if voice.digits:
        entry = choices.get(voice.digits)
        return str(entry[0]) if entry else None
    key = match(voice.speech, {k: v[1] for k, v in choices.items()})
    return str(choices[key][0]) if key else None


def words(text: str) -> tuple[str, ...]:
    """ "book, appointment, visit" (a translated list) as separate words to listen for."""
    return tuple(w.strip() for w in text.split(",") if w.strip())


def menu_option(turn: Turn) -> Option:
    t = turn.texts
    return Option(
        "*", t._("To go back to the main menu"), "menu", words(t._("menu, main menu, back"))
    )


def reachable(caller: str) -> bool:
    """Whether the caller ID is a number we could call back (not withheld)."""
    try:
        normalize_phone(caller)
    except DomainError:
        return False
    return True
