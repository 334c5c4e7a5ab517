"""Who is calling: the caller ID's card confirmed by a typed date of birth; an unknown
number may book with a spoken name (a new card, and a task for the staff to complete it)."""

from __future__ import annotations

from core.calls.store import parse_birth_date
from core.errors import DomainError, Throttled
from core.patients.cards import PatientDraft, plausible_birth_date
from core.patients.identity import normalize_phone
from core.vocab import ContactKind, TaskKind
from ivr.desk import desk
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, reachable
from ivr.twiml import Prompt

WRONG_DATES_BEFORE_DESK = 2


async def identify(turn: Turn, then: str) -> None:
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
    elif then == "book" and reachable(turn.call.caller):
        await go(turn, "name")
    else:
        turn.say(turn.texts._("I cannot find your clinic card by this phone number."))
        await desk(turn)


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


def _birth_date_prompt(turn: Turn, text: str) -> Prompt:
    """Eight keys (DDMMYYYY), with time to find them; said again with an example."""
    simple = turn.texts._("Type your date of birth, for example 0 5 0 3 1 9 8 0.")
    return Prompt(text, digits=8, speech=False, timeout=10, simple=simple)


async def _ask_dob(turn: Turn) -> None:
    turn.prompt = _birth_date_prompt(
        turn,
        turn.texts._("Please type your date of birth: day, month and year, eight digits."),
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
        await desk(turn)
        return True
    if confirmed:
        turn.call.patient_id = turn.data["card"]
        await _start(turn, turn.data["then"])
        return True
    wrong = int(turn.data.get("wrong_dates", 0)) + 1
    turn.data["wrong_dates"] = wrong
    turn.say(t._("This date does not match our records."))
    if wrong >= WRONG_DATES_BEFORE_DESK:
        await desk(turn)
    else:
        await go(turn, "dob")
    return True


async def _ask_name(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._("Please say your first and last name."),
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
    turn.prompt = _birth_date_prompt(
        turn,
        turn.texts._("Now your date of birth: day, month and year, eight digits."),
    )


async def _answer_new_dob(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    born = parse_birth_date(voice.digits)
    services = turn.services
    if born is None or not plausible_birth_date(born, services.clock.now().date()):
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
        await desk(turn)
        return True
    await services.tasks.create(
        TaskKind.COMPLETE_CARD,
        language=turn.call.language,
        details={"spoken_name": name},
        patient_id=patient.id,
        branch_id=turn.branch.id,
        phone=normalize_phone(turn.call.caller),
        call_sid=turn.call.call_sid,
    )
    turn.call.patient_id = patient.id
    await _start(turn, "book")
    return True


STEPS = {
    "dob": Step(_ask_dob, _answer_dob),
    "name": Step(_ask_name, _answer_name),
    "new_dob": Step(_ask_new_dob, _answer_new_dob),
}
