"""For whom a visit booked by phone is: the caller or a card in their care (a child).

Asked only when it matters: the caller has dependents and more than one of the people
they book for may have the chosen service (its age and sex limits checked for each by
the core's rule, as the chat checks them, as soon as the service is chosen). When only
one may, the visit is for them without a question, and the confirmation names them; a
caller with no dependents hears nothing new. The times offered are those of the person
the visit is for, and the booking is made for their card (the core checks the care).
"""

from __future__ import annotations

from core.clinic.restrictions import may_have
from core.models import Patient
from ivr import spoken
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, menu_option, words
from ivr.twiml import Option, Prompt

MAX_PEOPLE = 8  # the caller and their dependents read out (keys 1-8)


async def choose(turn: Turn) -> None:
    """The service is chosen (`data["service"]`): on to its free times, asking for whom
    first when that matters."""
    data = turn.data
    data.pop("for", None)
    data.pop("whom", None)
    dependents = await turn.services.care.dependents(turn.patient_id)
    if not dependents:
        await go(turn, "offer")  # the service's limits are checked for the caller there
        return
    people = await _people(turn, [d.patient for d in dependents])
    if not people:
        turn.say(turn.texts._("This visit is not available for you. Please choose another."))
        await go(turn, "pick")
        return
    if len(people) == 1:
        _for(turn, people[0].id)
        await go(turn, "offer")
        return
    data["whom"] = [p.id for p in people[:MAX_PEOPLE]]
    await go(turn, "whom")


async def _people(turn: Turn, dependents: list[Patient]) -> list[Patient]:
    """The caller and their dependents who may have the chosen service, the caller first."""
    services = turn.services
    service = await services.catalog.service(turn.data["service"])
    today = services.clock.now().date()
    me = await services.patients.get(turn.patient_id)
    return [p for p in [me, *dependents] if may_have(service, p, today)]


def _for(turn: Turn, patient_id: int | None) -> None:
    if patient_id != turn.patient_id:
        turn.data["for"] = patient_id


async def first_name(turn: Turn) -> str | None:
    """The first name of the dependent the visit is for (None: the caller's own)."""
    chosen = turn.data.get("for")
    return None if chosen is None else await dependent_name(turn, chosen)


async def dependent_name(turn: Turn, dependent_id: int) -> str:
    """A dependent's first name: all the caller needs to hear whose visit it is."""
    dependents = await turn.services.care.dependents(turn.patient_id)
    name = next((d.patient.first_name for d in dependents if d.patient.id == dependent_id), "")
    return spoken.person_name(turn.texts, name)


async def _ask_whom(turn: Turn) -> None:
    t = turn.texts
    names = {
        d.patient.id: spoken.person_name(t, d.patient.first_name)
        for d in await turn.services.care.dependents(turn.patient_id)
    }
    options = []
    for key, person in enumerate(turn.data["whom"], 1):
        if person == turn.patient_id:
            options.append(
                Option(str(key), t._("For yourself"), f"for:{person}", words(t._("me, myself")))
            )
        elif person in names:
            name = names[person]
            options.append(Option(str(key), t._("For {name}", name=name), f"for:{person}", (name,)))
    options.append(menu_option(turn))
    turn.prompt = Prompt(
        t._("For whom is the visit?"),
        options,
        hints=list(names.values()),
    )


async def _answer_whom(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if action == "menu":
        turn.forget_booking()
        await go(turn, "menu")
        return True
    if not action or not action.startswith("for:"):
        return False
    chosen = int(action[4:])
    if chosen not in turn.data.get("whom", []):
        return False
    _for(turn, chosen)
    await go(turn, "offer")
    return True


STEPS = {"whom": Step(_ask_whom, _answer_whom)}
