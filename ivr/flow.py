"""The phone menu: one call's steps, each a prompt and the answer to it, with the call's
state loaded and saved by CallSid around every webhook (any process takes the next one).

Every prompt ends in a <Redirect> to its own action, so silence is an answer too: the
first miss (silence or a key that means nothing) repeats the prompt, the second says
it more simply (keys only), the third puts the caller through to the desk, or offers
a callback when the desk is closed. A replayed webhook (Twilio retries on a timeout)
gets the answer it got the first time, from the state: nothing happens twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Texts
from core.actors import Actor
from core.booking import BookingService
from core.callbacks import CallbackService
from core.calls import Callers, CallSnapshot, CallStore, parse_birth_date
from core.catalog import Catalog
from core.clock import Clock
from core.errors import (
    DomainError,
    HoldExpired,
    InvalidTransition,
    NotFound,
    RestrictionViolated,
    SlotTaken,
    Throttled,
)
from core.hours import is_open, next_opening
from core.identity import normalize_phone
from core.models import Booking, Branch, Service
from core.patients import PatientDraft, PatientService
from core.placement import VisitRequest
from core.search import SlotQuery, SlotSearch
from core.tasks import TaskService
from core.vocab import CallbackReason, CallOutcome, Channel, ContactKind, TaskKind
from ivr import spoken
from ivr.inbound import VoiceInput, number
from ivr.speech import match
from ivr.twiml import Option, Prompt, render_prompt, say, speak

log = logging.getLogger(__name__)

BASE = "/twilio/voice"
INPUT = f"{BASE}/input"
QUEUE_WAIT = f"{BASE}/queue/wait"
QUEUE_KEY = f"{BASE}/queue/key"
QUEUE_DONE = f"{BASE}/queue/done"
RECORDING = f"{BASE}/recording"
STATUS = f"{BASE}/status"

MISSES_BEFORE_DESK = 3
WRONG_DATES_BEFORE_DESK = 2
LANGUAGE_KEYS = {"pl": "6", "uk": "7", "ru": "8", "en": "9"}
MAX_LISTED = 8  # specialties or services read out in one prompt
CANDIDATES = 10  # slots looked at for one offer (some may be held by other callers)
RECORDING_SECONDS = 120
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")
BRIDGED = ("bridged", "bridging-in-process", "redirected", "redirected-from-bridged")


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
    calls: CallStore
    callers: Callers
    callbacks: CallbackService
    tasks: TaskService
    policy: IvrPolicy = field(default_factory=IvrPolicy)
    confirmations: Confirmations = field(default_factory=Confirmations)


@dataclass
class Turn:
    """One webhook being answered: the call, its branch, what to say, what to ask next."""

    services: IvrServices
    call: CallSnapshot
    branch: Branch
    texts: Texts
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


Step = Callable[[Turn], Awaitable[None]]
Answer = Callable[[Turn, str | None, VoiceInput], Awaitable[bool]]


class Ivr:
    """The webhooks' entry points; each returns the TwiML to answer with, as text."""

    def __init__(self, services: IvrServices) -> None:
        self.services = services

    # -- entry points ------------------------------------------------------------------

    async def incoming(self, voice: VoiceInput) -> str:
        clinic = await self.services.catalog.clinic()
        branch = await self._branch_for(voice.called)
        language = self._language_for(voice.called, clinic.default_language if clinic else "pl")
        call = await self.services.calls.start(
            voice.call_sid, voice.caller, voice.called, branch.id, language
        )
        if call.state.get("last"):  # Twilio retried the first webhook
            return str(call.state["last"])
        turn = Turn(self.services, call, branch, Texts(language))
        t = turn.texts
        now = self.services.clock.now()
        turn.say(
            t._(
                "Welcome to {clinic}, {branch}.",
                clinic=clinic.name if clinic else "",
                branch=branch.name,
            )
        )
        turn.say(spoken.hours_today(t, branch, now) + " " + spoken.address(t, branch))
        await go(turn, "menu")
        return await self._finish(turn)

    async def answer(self, voice: VoiceInput) -> str:
        """A Gather's action, or the Redirect after it when the caller said nothing."""
        turn = await self._turn(voice)
        if turn is None:
            return await self.incoming(voice)
        if turn.call.ended:
            return str(VoiceResponse())
        if voice.step != str(turn.state.get("seq")):
            return str(turn.state.get("last") or VoiceResponse())
        handled = False
        if not voice.silent:
            handler = ANSWERS.get(turn.step, _answer_menu_only)
            handled = await handler(turn, _chosen(turn, voice), voice)
        if not handled:
            await _miss(turn)
        return await self._finish(turn)

    async def recorded(self, voice: VoiceInput) -> str:
        """A <Record>'s action: the prescription request left as a recording."""
        turn = await self._turn(voice)
        if turn is None or turn.call.ended or voice.step != str(turn.state.get("seq")):
            return str(VoiceResponse())
        url = voice.extras.get("RecordingUrl", "")
        if turn.step != "rx" or not url.startswith("https://"):
            await _miss(turn)
            return await self._finish(turn)
        await _prescription(
            turn, {"recording_url": url, "seconds": voice.extras.get("RecordingDuration", "")}
        )
        return await self._finish(turn)

    async def queue_wait(self, voice: VoiceInput) -> str:
        """The hold message, said again and again while the caller waits for the desk."""
        response = VoiceResponse()
        try:
            call = await self.services.calls.load(voice.call_sid)
        except NotFound:  # not a call we queued: let it wait in silence
            response.pause(length=self.services.policy.queue_pause_seconds)
            return str(response)
        t = Texts(call.language)
        position = number(voice.extras.get("QueuePosition", ""))
        if position:
            say(response, t, t._("You are number {position} in the queue.", position=position))
        waited = timedelta(seconds=number(voice.extras.get("QueueTime", "")))
        if waited >= self.services.policy.callback_offer_after and _reachable(call.caller):
            gather = response.gather(
                input="dtmf", num_digits=1, action=QUEUE_KEY, method="POST", timeout=5
            )
            say(gather, t, t._("To be called back instead of waiting, press 1."))
        response.pause(length=self.services.policy.queue_pause_seconds)
        return str(response)

    async def queue_key(self, voice: VoiceInput) -> str:
        """A key pressed while waiting: 1 leaves the queue with a callback request."""
        turn = await self._turn(voice)
        if turn is None:
            return str(VoiceResponse())
        t = turn.texts
        if voice.digits != "1" or not _reachable(turn.call.caller):
            return str(speak(t, [t._("You stay in the queue.")]))
        await _callback(turn, CallbackReason.QUEUE_LONG)
        await self._save(turn)
        response = VoiceResponse()
        response.leave()
        return str(response)

    async def queue_done(self, voice: VoiceInput) -> str:
        """The caller left the queue: talked to the desk, chose a callback, hung up, or the
        queue failed them."""
        turn = await self._turn(voice)
        if turn is None:
            return str(VoiceResponse())
        t = turn.texts
        result = voice.extras.get("QueueResult", "")
        turn.call.visit(f"queue:{result or 'unknown'}")
        response = VoiceResponse()
        if result == "leave" and turn.data.get("callback"):
            say(
                response,
                t,
                t._("Thank you. We will call you back at this number as soon as we can. Goodbye."),
            )
            response.hangup()
        elif result == "hangup":
            if not turn.data.get("callback") and _reachable(turn.call.caller):
                await _callback(turn, CallbackReason.MISSED)
            turn.call.outcome = CallOutcome.ABANDONED
        elif result in BRIDGED:
            turn.call.outcome = CallOutcome.DESK
            response.hangup()
        else:  # queue-full, error, system-error
            turn.say(t._("The registration desk is busy right now."))
            await _offer_callback(turn, CallbackReason.DESK_BUSY)
            return await self._finish(turn)
        turn.final = response
        return await self._finish(turn)

    async def status(self, voice: VoiceInput) -> None:
        """The call's end (Twilio's status callback): its record closed, its hold let go."""
        if voice.extras.get("CallStatus") not in ENDED:
            return
        duration = voice.extras.get("CallDuration", "")
        seconds = number(duration) if duration else None
        call = await self.services.calls.finish(voice.call_sid, seconds)
        hold = call.state.get("data", {}).get("hold") if call else None
        if hold:
            await self.services.booking.release(hold)

    # -- plumbing ----------------------------------------------------------------------

    async def _turn(self, voice: VoiceInput) -> Turn | None:
        try:
            call = await self.services.calls.load(voice.call_sid)
        except NotFound:
            return None
        branch = await self._branch(call.branch_id)
        return Turn(self.services, call, branch, Texts(call.language))

    async def _finish(self, turn: Turn) -> str:
        """Render what the turn decided, remember it for replays, save the call."""
        seq = int(turn.state.get("seq", 0)) + 1
        action = f"{INPUT}?n={seq}"
        if turn.record:
            response = speak(turn.texts, turn.before)
            response.record(
                action=f"{RECORDING}?n={seq}",
                method="POST",
                max_length=RECORDING_SECONDS,
                finish_on_key="#",
                play_beep=True,
                timeout=5,
            )
            response.redirect(action, method="POST")
        elif turn.prompt is not None:
            response = render_prompt(
                turn.texts, turn.prompt, action, before=turn.before, simple=turn.simple
            )
            turn.state["choices"] = turn.prompt.choices()
        else:
            response = speak(turn.texts, turn.before)
            for verb in (turn.final or VoiceResponse()).verbs:
                response.append(verb)
            turn.state.pop("choices", None)
        xml = str(response)
        turn.state.update(seq=seq, last=xml)
        await self._save(turn)
        return xml

    async def _save(self, turn: Turn) -> None:
        turn.call.visit(turn.step)
        await self.services.calls.save(turn.call)

    async def _branch_for(self, called: str) -> Branch:
        """The branch whose phone number was dialled (the first one for any other number)."""
        branches = await self.services.catalog.branches()
        if not branches:
            raise NotFound("no branch to answer for")
        try:
            dialled = normalize_phone(called)
        except DomainError:
            return branches[0]
        return next((b for b in branches if b.phone == dialled), branches[0])

    async def _branch(self, branch_id: int | None) -> Branch:
        if branch_id is None:
            return (await self.services.catalog.branches())[0]
        return await self.services.catalog.branch(branch_id)

    def _language_for(self, called: str, default: str) -> str:
        language = self.services.policy.languages.get(called, default)
        return language if language in LANGUAGES else "pl"


# -- moving between steps -------------------------------------------------------------


async def go(turn: Turn, step: str) -> None:
    """Move to `step` and ask its question (a fresh start: no misses yet)."""
    turn.state["step"] = step
    turn.state["misses"] = 0
    turn.simple = False
    await ASKS[step](turn)


async def _miss(turn: Turn) -> None:
    misses = int(turn.state.get("misses", 0)) + 1
    t = turn.texts
    if misses >= MISSES_BEFORE_DESK:
        if turn.step == "callback_offer":
            await _callback(turn, CallbackReason(turn.data.get("cb_reason", "after_hours")))
            return
        turn.say(t._("Let me put you through to the registration desk."))
        await _desk(turn)
        return
    turn.say(t._("Sorry, I did not catch that."))
    turn.state["misses"] = misses
    turn.simple = misses == MISSES_BEFORE_DESK - 1
    await ASKS[turn.step](turn)


def _chosen(turn: Turn, voice: VoiceInput) -> str | None:
    """The action of the option the caller pressed or named, if any."""
    choices: dict[str, list[Any]] = turn.state.get("choices", {})
    if voice.digits:
        entry = choices.get(voice.digits)
        return str(entry[0]) if entry else None
    key = match(voice.speech, {k: v[1] for k, v in choices.items()})
    return str(choices[key][0]) if key else None


def _words(text: str) -> tuple[str, ...]:
    """ "book, appointment, visit" (a translated list) as separate words to listen for."""
    return tuple(w.strip() for w in text.split(",") if w.strip())


def _menu_option(turn: Turn) -> Option:
    t = turn.texts
    return Option(
        "*", t._("To go back to the main menu"), "menu", _words(t._("menu, main menu, back"))
    )


def _reachable(caller: str) -> bool:
    """Whether the caller ID is a number we could call back (not withheld)."""
    try:
        normalize_phone(caller)
    except DomainError:
        return False
    return True


# -- the main menu ----------------------------------------------------------------------


async def _ask_menu(turn: Turn) -> None:
    t = turn.texts
    options = [
        Option("1", t._("To book a visit"), "book", _words(t._("book, appointment, new visit"))),
        Option(
            "2",
            t._("To hear, move or cancel your visits"),
            "visits",
            _words(t._("my visits, move, cancel, change")),
        ),
        Option(
            "3",
            t._("To ask for a prescription renewal"),
            "rx",
            _words(t._("prescription, medicine, renewal")),
        ),
        Option(
            "4",
            t._("For our opening hours and address"),
            "info",
            _words(t._("opening hours, address, when are you open")),
        ),
        Option(
            "0",
            t._("To talk to the registration desk"),
            "desk",
            _words(t._("registration, desk, person, operator")),
        ),
    ]
    for language in LANGUAGES:
        if language != t.language:
            other = Texts(language)
            key = LANGUAGE_KEYS[language]
            options.append(
                Option(
                    key,
                    other._(
                        "In {language}, press {key}.", language=LANGUAGE_NAMES[language], key=key
                    ),
                    f"lang:{language}",
                    (LANGUAGE_NAMES[language],),
                    language=language,
                )
            )
    turn.prompt = Prompt(
        t._("How can I help you? You can say it or press a key."),
        options,
        simple=t._("Main menu."),
    )


async def _answer_menu(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    t = turn.texts
    if action in ("book", "visits", "rx"):
        await _identify(turn, action)
    elif action == "info":
        now = turn.services.clock.now()
        turn.say(spoken.week_hours(t, turn.branch, now) + " " + spoken.address(t, turn.branch))
        turn.call.outcome = turn.call.outcome or CallOutcome.INFORMED
        await go(turn, "menu")
    elif action == "desk":
        await _desk(turn)
    elif action and action.startswith("lang:"):
        turn.call.language = action[5:]
        turn.texts = Texts(turn.call.language)
        await go(turn, "menu")
    else:
        return False
    return True


async def _answer_menu_only(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    """Steps with nothing to answer but the way back (used for unknown saved steps)."""
    if action == "menu" or turn.step not in ASKS:
        await go(turn, "menu")
        return True
    return False


# -- who is calling ---------------------------------------------------------------------


async def _identify(turn: Turn, then: str) -> None:
    """Continue with `then` once the caller is known: caller ID plus date of birth, or,
    to book, a new card from a spoken name; anyone else goes to the desk."""
    turn.data["then"] = then
    if turn.call.patient_id is not None:
        await _start(turn, then)
        return
    card = await turn.services.callers.card_for(turn.call.caller)
    if card is not None:
        turn.data["card"] = card.id
        await go(turn, "dob")
    elif then == "book" and _reachable(turn.call.caller):
        await go(turn, "name")
    else:
        turn.say(turn.texts._("I cannot find your clinic card by this phone number."))
        await _desk(turn)


async def _start(turn: Turn, then: str) -> None:
    for key in ("then", "card", "wrong_dates"):
        turn.data.pop(key, None)
    if then == "book":
        await go(turn, "pick")
    elif then == "visits":
        turn.data["visit"] = 0
        await go(turn, "visits")
    else:
        await go(turn, "rx")


async def _ask_dob(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._(
            "To confirm it is you, please type your date of birth as eight digits: "
            "two for the day, two for the month and four for the year."
        ),
        digits=8,
        speech=False,
        timeout=10,
        simple=t._("Type your date of birth, for example 0 5 0 3 1 9 8 0."),
    )


async def _answer_dob(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if len(voice.digits) != 8:
        return False
    t = turn.texts
    try:
        confirmed = await turn.services.callers.confirm(
            turn.data["card"], turn.call.caller, voice.digits
        )
    except Throttled:
        turn.say(t._("Too many attempts."))
        await _desk(turn)
        return True
    if confirmed:
        turn.call.patient_id = turn.data["card"]
        await _start(turn, turn.data["then"])
        return True
    wrong = int(turn.data.get("wrong_dates", 0)) + 1
    turn.data["wrong_dates"] = wrong
    turn.say(t._("This date does not match our records."))
    if wrong >= WRONG_DATES_BEFORE_DESK:
        await _desk(turn)
    else:
        await go(turn, "dob")
    return True


async def _ask_name(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._("I do not know this phone number yet. Please say your first and last name."),
        dtmf=False,
        timeout=5,
        simple=t._("Please say your first and last name."),
    )


async def _answer_name(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    parts = voice.speech.split()
    if len(parts) < 2 or any(len(p) > 100 for p in parts):
        return False
    turn.data["first_name"], turn.data["last_name"] = parts[0], " ".join(parts[1:])
    await go(turn, "new_dob")
    return True


async def _ask_new_dob(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._(
            "Thank you. Now type your date of birth as eight digits: "
            "two for the day, two for the month and four for the year."
        ),
        digits=8,
        speech=False,
        timeout=10,
        simple=t._("Type your date of birth, for example 0 5 0 3 1 9 8 0."),
    )


async def _answer_new_dob(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    born = parse_birth_date(voice.digits)
    services = turn.services
    if born is None or born > services.clock.now().date() or born.year < 1900:
        return False
    name = f"{turn.data['first_name']} {turn.data['last_name']}"
    try:
        patient = await services.patients.register(
            PatientDraft(
                first_name=turn.data.pop("first_name"),
                last_name=turn.data.pop("last_name"),
                birth_date=born,
                language=turn.call.language,
                contacts={ContactKind.PHONE: turn.call.caller},
                needs_verification=True,
            )
        )
    except DomainError:  # the number got a card meanwhile, or a name we cannot take
        turn.say(turn.texts._("I cannot create your clinic card by phone."))
        await _desk(turn)
        return True
    await services.tasks.create(
        TaskKind.COMPLETE_CARD,
        language=turn.call.language,
        details={"spoken_name": name},
        patient_id=patient.id,
        phone=normalize_phone(turn.call.caller),
        call_sid=turn.call.call_sid,
    )
    turn.call.patient_id = patient.id
    await _start(turn, "book")
    return True


# -- booking and moving -------------------------------------------------------------------


def _bookable(services: list[Service]) -> list[Service]:
    """What can be booked by phone: a referral needs the desk."""
    return [s for s in services if not s.referral_required]


async def _ask_pick(turn: Turn) -> None:
    t = turn.texts
    catalog = turn.services.catalog
    specialties = (await catalog.specialties())[:MAX_LISTED]
    doctors = await catalog.doctors()
    options = [
        Option(str(n), s.name, f"spec:{s.id}", (s.name,)) for n, s in enumerate(specialties, 1)
    ]
    options.append(_menu_option(turn))
    names = [spoken.doctor_name(d) for d in doctors]
    turn.prompt = Prompt(
        t._("Which specialty, or which doctor? Say the doctor's name, or choose:"),
        options,
        hints=[s.name for s in specialties] + names,
        spoken_only=[
            Option("", name, f"doc:{d.id}", (name, d.last_name))
            for d, name in zip(doctors, names, strict=True)
        ],
        simple=t._("Choose a specialty."),
    )


async def _answer_pick(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    catalog = turn.services.catalog
    if action is None:
        return False
    if action == "menu":
        await go(turn, "menu")
        return True
    kind, _sep, ident = action.partition(":")
    if kind == "spec":
        found = [s for s in await catalog.services() if s.specialty_id == int(ident)]
        turn.data.pop("doctor", None)
    elif kind == "doc":
        found = await catalog.services_of(int(ident))
        turn.data["doctor"] = int(ident)
    else:
        return False
    bookable = _bookable(found)
    if not bookable:
        turn.say(turn.texts._("This can only be booked at the registration desk."))
        await _desk(turn)
        return True
    if len(bookable) == 1:
        turn.data["service"] = bookable[0].id
        await go(turn, "offer")
        return True
    turn.data["services"] = [s.id for s in bookable[:MAX_LISTED]]
    await go(turn, "service")
    return True


async def _ask_service(turn: Turn) -> None:
    t = turn.texts
    catalog = turn.services.catalog
    services = [await catalog.service(i) for i in turn.data["services"]]
    options = [Option(str(n), s.name, f"svc:{s.id}", (s.name,)) for n, s in enumerate(services, 1)]
    options.append(_menu_option(turn))
    turn.prompt = Prompt(t._("Which visit?"), options, hints=[s.name for s in services])


async def _answer_service(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if action == "menu":
        await go(turn, "menu")
        return True
    if not action or not action.startswith("svc:"):
        return False
    turn.data["service"] = int(action[4:])
    await go(turn, "offer")
    return True


async def _ask_offer(turn: Turn) -> None:
    t = turn.texts
    data = turn.data
    if "slot" not in data and not await _hold_next(turn):
        return
    slot = data["slot"]
    start = datetime.fromisoformat(slot["start"])
    doctor = slot["doctor_name"]
    heard = spoken.spoken_slot(t, start, slot["tz"], doctor)
    intro = t._("The next free time is") if data.get("after") else t._("The earliest free time is")
    turn.prompt = Prompt(
        f"{intro} {heard}, {slot['branch_name']}.",
        [
            Option("1", t._("To take it"), "take", _words(t._("yes, take it, good, fine"))),
            Option("2", t._("For the next one"), "next", _words(t._("next, later, another time"))),
            Option("3", t._("For another day"), "day", _words(t._("another day, different day"))),
            _menu_option(turn),
        ],
    )


async def _hold_next(turn: Turn) -> bool:
    """Find the next free time after the one offered last and hold it for this caller.
    False (and another step asked) when there is none."""
    services = turn.services
    data = turn.data
    after = data.get("after")
    start = datetime.fromisoformat(data["from"]) if "from" in data else None
    if after and start is None:
        start = datetime.fromisoformat(after[0])
    query = SlotQuery(
        channel=Channel.VOICE,
        service_id=data["service"],
        doctor_id=data.get("doctor"),
        patient_id=turn.call.patient_id,
        start=start,
        limit=CANDIDATES,
    )
    t = turn.texts
    try:
        found = await services.search.find(query)
    except RestrictionViolated:
        turn.say(t._("This visit is not available for you. Please choose another."))
        await go(turn, "pick")
        return False
    if after:
        last = (datetime.fromisoformat(after[0]), int(after[1]))
        found = [f for f in found if (f.start_at, f.doctor_id) > last]
    for free in found:
        try:
            ticket = await services.booking.hold(
                Channel.VOICE, data["service"], free.doctor_id, free.start_at
            )
        except SlotTaken:
            continue
        doctors = {d.id: d for d in await services.catalog.doctors()}
        branch = await services.catalog.branch(free.branch_id)
        data["hold"] = ticket.token
        data["slot"] = {
            "doctor": free.doctor_id,
            "doctor_name": spoken.doctor_name(doctors[free.doctor_id]),
            "start": free.start_at.isoformat(),
            "tz": free.timezone,
            "branch_name": branch.name,
        }
        return True
    turn.say(t._("There are no free times for this by phone in the coming weeks."))
    _forget_booking(turn)
    await go(turn, "menu")
    return False


async def _release(turn: Turn) -> None:
    token = turn.data.pop("hold", None)
    turn.data.pop("slot", None)
    if token:
        await turn.services.booking.release(token)


def _forget_booking(turn: Turn) -> None:
    for key in ("service", "services", "doctor", "slot", "hold", "after", "from", "move"):
        turn.data.pop(key, None)


async def _answer_offer(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "take":
        await go(turn, "confirm")
    elif action == "next":
        data["after"] = [data["slot"]["start"], data["slot"]["doctor"]]
        data.pop("from", None)
        await _release(turn)
        await go(turn, "offer")
    elif action == "day":
        slot = data["slot"]
        zone = ZoneInfo(slot["tz"])
        day = datetime.fromisoformat(slot["start"]).astimezone(zone).date() + timedelta(days=1)
        data["from"] = datetime.combine(day, time(), tzinfo=zone).isoformat()
        data.pop("after", None)
        await _release(turn)
        await go(turn, "offer")
    elif action == "menu":
        await _release(turn)
        _forget_booking(turn)
        await go(turn, "menu")
    else:
        return False
    return True


async def _ask_confirm(turn: Turn) -> None:
    t = turn.texts
    slot = turn.data["slot"]
    heard = spoken.spoken_slot(
        t, datetime.fromisoformat(slot["start"]), slot["tz"], slot["doctor_name"]
    )
    if "move" in turn.data:
        question = t._(
            "Your visit will be moved to {slot}, {branch}.", slot=heard, branch=slot["branch_name"]
        )
    else:
        service = await turn.services.catalog.service(turn.data["service"])
        question = t._(
            "You are booking {service}, {slot}, {branch}.",
            service=service.name,
            slot=heard,
            branch=slot["branch_name"],
        )
    turn.prompt = Prompt(
        question,
        [
            Option("1", t._("To confirm"), "yes", _words(t._("yes, confirm, fine"))),
            Option("2", t._("To hear other times"), "no", _words(t._("no, other times"))),
        ],
    )


async def _answer_confirm(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "no":
        data["after"] = [data["slot"]["start"], data["slot"]["doctor"]]
        await _release(turn)
        await go(turn, "offer")
        return True
    if action != "yes":
        return False
    services = turn.services
    t = turn.texts
    slot = data["slot"]
    start = datetime.fromisoformat(slot["start"])
    try:
        if "move" in data:
            booking = await services.booking.reschedule(
                turn.actor,
                data["move"],
                doctor_id=slot["doctor"],
                start_at=start,
                hold_token=data.get("hold"),
            )
            turn.call.outcome = CallOutcome.MOVED
            turn.say(t._("Your visit is moved. We will send you a text message with the details."))
        else:
            booking = await services.booking.book(
                turn.actor,
                VisitRequest(
                    turn.patient_id,
                    data["service"],
                    slot["doctor"],
                    start,
                    hold_token=data.get("hold"),
                ),
            )
            turn.call.outcome = CallOutcome.BOOKED
            turn.say(t._("Your visit is booked. We will send you a text message with the details."))
    except (SlotTaken, HoldExpired):
        data.pop("hold", None)
        data.pop("slot", None)
        turn.say(t._("Sorry, someone has just taken that time."))
        await go(turn, "offer")
        return True
    except DomainError as error:
        log.info("phone booking refused: %s", error.code)
        await _release(turn)
        _forget_booking(turn)
        turn.say(t._("I could not book this visit by phone."))
        await _desk(turn)
        return True
    turn.call.booking_id = booking.id
    data.pop("hold", None)
    _forget_booking(turn)
    if _reachable(turn.call.caller):
        services.confirmations.confirm(
            booking, normalize_phone(turn.call.caller), turn.call.language
        )
    await go(turn, "menu")
    return True


# -- my visits -------------------------------------------------------------------------------


async def _ask_visits(turn: Turn) -> None:
    t = turn.texts
    services = turn.services
    upcoming = await services.booking.upcoming(turn.patient_id)
    if not upcoming:
        turn.say(t._("You have no upcoming visits."))
        await go(turn, "menu")
        return
    index = min(int(turn.data.get("visit", 0)), len(upcoming) - 1)
    visit = upcoming[index]
    turn.data["visit_id"] = visit.id
    doctors = {d.id: d for d in await services.catalog.doctors()}
    branch = await services.catalog.branch(visit.branch_id)
    service = await services.catalog.service(visit.service_id)
    doctor = doctors.get(visit.doctor_id)
    heard = spoken.spoken_slot(
        t, visit.start_at, branch.timezone, spoken.doctor_name(doctor) if doctor else ""
    )
    options = [
        Option("1", t._("To move it"), "move", _words(t._("move, change, another time"))),
        Option("2", t._("To cancel it"), "cancel", _words(t._("cancel, call off"))),
    ]
    if index + 1 < len(upcoming):
        options.append(
            Option("3", t._("For your next visit"), "nextvisit", _words(t._("next visit")))
        )
    options.append(_menu_option(turn))
    turn.prompt = Prompt(
        t._(
            "Visit {n} of {total}: {service}, {slot}, {branch}.",
            n=index + 1,
            total=len(upcoming),
            service=service.name,
            slot=heard,
            branch=branch.name,
        ),
        options,
    )


async def _answer_visits(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "move":
        visit = await turn.services.booking.get(data["visit_id"])
        data.update(move=visit.id, service=visit.service_id, doctor=visit.doctor_id)
        await go(turn, "offer")
    elif action == "cancel":
        await go(turn, "cancel")
    elif action == "nextvisit":
        data["visit"] = int(data.get("visit", 0)) + 1
        await go(turn, "visits")
    elif action == "menu":
        await go(turn, "menu")
    else:
        return False
    return True


async def _ask_cancel(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._("Do you want to cancel this visit?"),
        [
            Option("1", t._("To cancel the visit"), "yes", _words(t._("yes, cancel"))),
            Option("2", t._("To keep it"), "no", _words(t._("no, keep it"))),
        ],
    )


async def _answer_cancel(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    t = turn.texts
    if action == "no":
        await go(turn, "visits")
        return True
    if action != "yes":
        return False
    try:
        await turn.services.booking.cancel(turn.actor, turn.data["visit_id"], "patient: by phone")
    except (InvalidTransition, NotFound):
        turn.say(t._("This visit can no longer be cancelled."))
    else:
        turn.call.outcome = CallOutcome.CANCELLED
        turn.say(t._("Your visit is cancelled."))
    turn.data["visit"] = 0
    await go(turn, "menu")
    return True


# -- prescription renewal ------------------------------------------------------------------


async def _ask_rx(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._("Please say the name and the dose of the medicine you need renewed."),
        [
            Option(
                "1",
                t._("To leave a recorded message instead"),
                "record",
                _words(t._("recording, message")),
            ),
            _menu_option(turn),
        ],
        timeout=8,
        simple=t._("Say the name of the medicine."),
    )


async def _answer_rx(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    t = turn.texts
    if action == "record":
        turn.say(t._("Please speak after the tone. Press hash when you are done."))
        turn.record = True
        return True
    if action == "menu":
        await go(turn, "menu")
        return True
    if voice.digits or not voice.speech.strip():
        return False
    details = {"transcript": voice.speech.strip(), "confidence": voice.extras.get("Confidence", "")}
    await _prescription(turn, details)
    return True


async def _prescription(turn: Turn, details: dict[str, str]) -> None:
    services = turn.services
    await services.tasks.create(
        TaskKind.PRESCRIPTION,
        language=turn.call.language,
        details=details,
        patient_id=turn.patient_id,
        phone=turn.call.caller,
        call_sid=turn.call.call_sid,
    )
    turn.call.outcome = CallOutcome.TASK
    turn.say(
        turn.texts._(
            "Thank you. Your request goes to your doctor; we will let you know when it is ready."
        )
    )
    await go(turn, "menu")


# -- the desk and callbacks -----------------------------------------------------------------


def queue_name(branch: Branch) -> str:
    return f"desk-{branch.id}"


async def _desk(turn: Turn) -> None:
    """Into the branch's desk queue while it is open; otherwise a callback is offered."""
    await _release(turn)
    _forget_booking(turn)
    t = turn.texts
    now = turn.services.clock.now()
    if is_open(turn.branch, now):
        turn.say(t._("Connecting you to the registration desk. Please wait."))
        turn.state["step"] = "queue"
        turn.data.pop("callback", None)
        response = VoiceResponse()
        response.enqueue(
            queue_name(turn.branch),
            action=QUEUE_DONE,
            method="POST",
            wait_url=QUEUE_WAIT,
            wait_url_method="POST",
        )
        turn.final = response
        return
    turn.say(t._("The registration desk is closed now."))
    opening = next_opening(turn.branch, now)
    if opening is not None:
        turn.say(
            t._(
                "We open on {day} at {time}.",
                day=spoken.spoken_day(t, opening.date()),
                time=opening.strftime("%H:%M"),
            )
        )
    await _offer_callback(turn, CallbackReason.AFTER_HOURS)


async def _offer_callback(turn: Turn, reason: CallbackReason) -> None:
    t = turn.texts
    if not _reachable(turn.call.caller):
        turn.say(t._("Please call us again during opening hours. Goodbye."))
        turn.state["step"] = "goodbye"
        turn.final = VoiceResponse()
        turn.final.hangup()
        return
    turn.data["cb_reason"] = reason.value
    await go(turn, "callback_offer")


async def _ask_callback_offer(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        "",
        [
            Option(
                "1",
                t._("To be called back at this number"),
                "callback",
                _words(t._("yes, call me back, callback")),
            ),
            _menu_option(turn),
        ],
    )


async def _answer_callback_offer(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if action == "callback":
        await _callback(turn, CallbackReason(turn.data.get("cb_reason", "after_hours")))
        return True
    if action == "menu":
        await go(turn, "menu")
        return True
    return False


async def _callback(turn: Turn, reason: CallbackReason) -> None:
    """Leave a callback request for the desk (merged with an open one for the number)."""
    await turn.services.callbacks.request(
        normalize_phone(turn.call.caller),
        reason,
        call_sid=turn.call.call_sid,
        language=turn.call.language,
        patient_id=turn.call.patient_id,
        branch_id=turn.branch.id,
    )
    turn.data["callback"] = True
    turn.call.visit(f"callback:{reason.value}")
    if reason is CallbackReason.MISSED:
        return
    turn.call.outcome = CallOutcome.CALLBACK
    if turn.step == "queue":  # the caller is leaving the queue: the goodbye comes after
        return
    t = turn.texts
    turn.say(t._("Thank you. We will call you back at this number as soon as we can. Goodbye."))
    turn.state["step"] = "goodbye"
    turn.final = VoiceResponse()
    turn.final.hangup()


ASKS: dict[str, Step] = {
    "menu": _ask_menu,
    "dob": _ask_dob,
    "name": _ask_name,
    "new_dob": _ask_new_dob,
    "pick": _ask_pick,
    "service": _ask_service,
    "offer": _ask_offer,
    "confirm": _ask_confirm,
    "visits": _ask_visits,
    "cancel": _ask_cancel,
    "rx": _ask_rx,
    "callback_offer": _ask_callback_offer,
}
ANSWERS: dict[str, Answer] = {
    "menu": _answer_menu,
    "dob": _answer_dob,
    "name": _answer_name,
    "new_dob": _answer_new_dob,
    "pick": _answer_pick,
    "service": _answer_service,
    "offer": _answer_offer,
    "confirm": _answer_confirm,
    "visits": _answer_visits,
    "cancel": _answer_cancel,
    "rx": _answer_rx,
    "callback_offer": _answer_callback_offer,
}
