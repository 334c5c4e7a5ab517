"""For whom a visit is booked: the patient, a card in their care, or a child not yet on
a card (their name and date of birth or PESEL, kept only until the booking is confirmed).

Asked only when it matters: the patient's card has dependents, or the service is for
children. The service's age, sex and referral limits are checked for the chosen person
as soon as both are known, before any time is offered, so nobody answers every question
to be refused at the end. A step of the booking journey (`bot.flows.booking`); its line
naming whom a visit is for (`for_line`) is also the confirmation's and "My visits"'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from bot import actions
from bot.dates import parse_date
from bot.flows import privacy
from bot.names import full_name
from bot.turn import Step, Turn
from core.clinic.restrictions import check_restrictions
from core.errors import DomainError, NotFound, RestrictionViolated
from core.models import Booking, Patient, Service
from core.patients.cards import ADULT_AGE, PatientDraft, plausible_birth_date
from core.patients.identity import normalize_pesel, pesel_birth_date, pesel_sex
from core.vocab import CareRelation

# The answers about a child not yet on a card (dropped with the other personal answers).
NEW_DEPENDENT = ("dep_first_name", "dep_last_name", "dep_birth_date", "dep_pesel")
ME = "me"

Chosen = Callable[[Turn], Awaitable[bool]]


def for_children(service: Service) -> bool:
    return service.max_age is not None and service.max_age < ADULT_AGE


async def choose(turn: Turn, service: Service, chosen: Chosen) -> bool:
    """Ask for whom when it matters, else check the service for the patient and go on. A
    service that needs a referral is refused at once: a chat takes no referral."""
    if service.referral_required:
        raise RestrictionViolated("referral required", reason="referral")
    dependents = await turn.services.care.dependents(turn.patient_id) if turn.patient_id else []
    if dependents or for_children(service):
        turn.at("whom")
        await _ask_whom(turn)
        return True
    turn.data["for"] = ME
    await _check(turn, service)
    return await chosen(turn)


async def _ask_whom(turn: Turn) -> None:
    rows = [[turn.button(turn._("👤 For me"), actions.FOR_ME.pack())]]
    if turn.patient_id is not None:
        for dependent in await turn.services.care.dependents(turn.patient_id):
            person = dependent.patient
            label = turn._("👶 For {name}", name=f"{person.first_name} {person.last_name}")
            rows.append([turn.button(label, actions.FOR_DEPENDENT.pack(person.id))])
    rows.append([turn.button(turn._("➕ For my child"), actions.FOR_NEW_DEPENDENT.pack())])
    turn.say(turn._("For whom is the visit?"), rows)


async def _on_whom(turn: Turn, action: str | None, chosen: Chosen) -> bool:
    service = await turn.services.catalog.service(turn.data["service"])
    if actions.FOR_ME.pressed(action):
        turn.data["for"] = ME
        await _check(turn, service)
        return await chosen(turn)
    if actions.FOR_NEW_DEPENDENT.pressed(action):
        turn.at("dep_name")
        await _ask_dep_name(turn)
        return True
    dependent_id = actions.FOR_DEPENDENT.unpack(action)
    if dependent_id is None or turn.patient_id is None:
        return False
    theirs = {d.patient.id: d.patient for d in await turn.services.care.dependents(turn.patient_id)}
    if dependent_id not in theirs:
        raise NotFound("not a card in this patient's care")
    turn.data["for"] = dependent_id
    check_restrictions(service, theirs[dependent_id], turn.services.clock.now().date())
    return await chosen(turn)


async def _ask_dep_name(turn: Turn) -> None:
    await privacy.tell_once(turn)
    turn.say(turn._("The child's first and last name, please."))


async def _ask_dep_birth(turn: Turn) -> None:
    turn.say(turn._("The child's date of birth (DD.MM.YYYY) or PESEL number, please."))


async def _on_dep_name(turn: Turn, text: str | None) -> bool:
    if not text:
        return False
    name = full_name(text)
    if name is None:
        turn.say(turn._("Please give both the first and last name."))
        return True
    turn.data["dep_first_name"], turn.data["dep_last_name"] = name
    turn.at("dep_birth")
    await _ask_dep_birth(turn)
    return True


async def _on_dep_birth(turn: Turn, text: str | None, chosen: Chosen) -> bool:
    if not text:
        return False
    today = turn.services.clock.now().date()
    digits = "".join(ch for ch in text if not ch.isspace())
    pesel = None
    if len(digits) == 11 and digits.isdigit():
        try:
            pesel = normalize_pesel(digits)
        except DomainError:
            turn.say(turn._("That PESEL number is not valid. Please check it."))
            return True
        born: date | None = pesel_birth_date(pesel)
    else:
        born = parse_date(text)
    if born is not None and born > today:
        turn.say(turn._("A date of birth cannot be in the future. Please check it."))
        return True
    if born is None or not plausible_birth_date(born, today):
        turn.say(turn._("I could not read that date. Please write it like 24.05.1987."))
        return True
    child = Patient(
        first_name="", last_name="", birth_date=born, sex=pesel_sex(pesel) if pesel else None
    )
    check_restrictions(await turn.services.catalog.service(turn.data["service"]), child, today)
    turn.data.update(dep_birth_date=born.isoformat(), dep_pesel=pesel, **{"for": "new"})
    return await chosen(turn)


async def _check(turn: Turn, service: Service) -> None:
    """The service's limits for the patient themself, when their card is known (a new
    patient's are checked as soon as they give their date of birth)."""
    if turn.patient_id is not None:
        me = await turn.services.patients.get(turn.patient_id)
        check_restrictions(service, me, turn.services.clock.now().date())


def known_patient(turn: Turn) -> int | None:
    """The card of the person the visit is for, when there is one yet (the times offered
    are those that person may have)."""
    chosen = turn.data.get("for", ME)
    if chosen == ME:
        return turn.patient_id
    return None if chosen == "new" else int(chosen)


def for_someone_else(turn: Turn) -> bool:
    """Whether the visit is for someone other than the patient in the chat."""
    return bool(turn.data.get("for", ME) != ME)


async def patient_for_visit(turn: Turn) -> int | None:
    """The card the visit is for, once the booking patient's own card exists: a card in
    their care, a child's card made now (in their care), or None for the patient."""
    chosen = turn.data.get("for", ME)
    if chosen == ME:
        return None
    if chosen != "new":
        return int(chosen)
    assert turn.patient_id is not None
    child = await turn.services.patients.register(
        PatientDraft(
            first_name=turn.data["dep_first_name"],
            last_name=turn.data["dep_last_name"],
            birth_date=date.fromisoformat(turn.data["dep_birth_date"]),
            pesel=turn.data.get("dep_pesel"),
            language=turn.texts.language,
        ),
        in_care_of=(turn.patient_id, CareRelation.CHILD),
    )
    for key in NEW_DEPENDENT:
        turn.data.pop(key, None)
    turn.data["for"] = child.id
    return child.id


async def first_names(turn: Turn) -> dict[int, str]:
    """The first names of the cards in the patient's care: all a visit's label needs."""
    assert turn.patient_id is not None
    return {
        d.patient.id: d.patient.first_name
        for d in await turn.services.care.dependents(turn.patient_id)
        if d.patient.id is not None
    }


def for_line(turn: Turn, visit: Booking, whose: dict[int, str], indent: str = "") -> str:
    """The line naming whom a dependent's visit is for ("" for the patient's own)."""
    if visit.patient_id == turn.patient_id:
        return ""
    name = whose.get(visit.patient_id, "")
    return indent + turn._("👶 For: {name}", name=name) + "\n"


def steps(chosen: Chosen) -> dict[str, Step]:
    """The steps, for the journey that asks them; `chosen` goes on once the person is known."""
    return {
        "whom": Step(_ask_whom, lambda turn, action, _text: _on_whom(turn, action, chosen)),
        "dep_name": Step(_ask_dep_name, lambda turn, _action, text: _on_dep_name(turn, text)),
        "dep_birth": Step(
            _ask_dep_birth, lambda turn, _action, text: _on_dep_birth(turn, text, chosen)
        ),
    }
