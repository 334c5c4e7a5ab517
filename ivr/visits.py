"""My visits by phone: each upcoming visit read out, to move (the booking steps) or cancel;
a guardian hears the visits of the cards in their care too, each with the first name of
whom it is for (the core lets them change those and no one else's)."""

from __future__ import annotations

from core.clinic.names import local_name
from core.errors import InvalidTransition, NotFound
from core.vocab import CallOutcome
from ivr import spoken, whom
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, menu_option, words
from ivr.twiml import Option, Prompt


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
        Option("1", t._("To move it"), "move", words(t._("move, change, another time"))),
        Option("2", t._("To cancel it"), "cancel", words(t._("cancel, call off"))),
    ]
    if index + 1 < len(upcoming):
        options.append(
            Option("3", t._("For your next visit"), "nextvisit", words(t._("next visit")))
        )
    options.append(menu_option(turn))
    said = {
        "n": index + 1,
        "total": len(upcoming),
        "service": local_name(service, t.language),
        "slot": heard,
        "branch": local_name(branch, t.language),
    }
    if visit.patient_id == turn.patient_id:
        heading = t._("Visit {n} of {total}: {service}, {slot}, {branch}.", **said)
    else:
        name = await whom.dependent_name(turn, visit.patient_id)
        heading = t._(
            "Visit {n} of {total}, for {name}: {service}, {slot}, {branch}.", name=name, **said
        )
    turn.prompt = Prompt(heading, options)


async def _answer_visits(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    data = turn.data
    if action == "move":
        visit = await turn.services.booking.get_for(turn.actor, data["visit_id"])
        data.update(move=visit.id, service=visit.service_id, doctor=visit.doctor_id)
        if visit.patient_id != turn.patient_id:  # the times a dependent may have
            data["for"] = visit.patient_id
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
            Option("1", t._("To cancel the visit"), "yes", words(t._("yes, cancel"))),
            Option("2", t._("To keep it"), "no", words(t._("no, keep it"))),
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


STEPS = {
    "visits": Step(_ask_visits, _answer_visits),
    "cancel": Step(_ask_cancel, _answer_cancel),
}
