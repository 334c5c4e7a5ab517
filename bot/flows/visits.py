"""My visits: the upcoming ones, each to move, cancel (with a reason) or add to a calendar.

A guardian's list holds the visits of the cards in their care too, each named by the
first name of whom it is for; the core lets a patient change only their own visits and
their dependents' (any other visit, from a stale or forged button, is 'not found')."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot import actions
from bot.calendar import visit_file
from bot.flows import booking, menu, whom
from bot.turn import Step, Turn, answer, ask
from core.clinic.names import local_name
from core.errors import InvalidTransition, NotFound
from core.models import Booking

REASONS = ("plans", "better", "ill", "other")
LINK_LIFETIME_AFTER_VISIT = timedelta(days=1)


async def start(turn: Turn) -> None:
    turn.go("visits", "list")
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    await ask(STEPS, turn, default="list")


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    return await answer(STEPS, turn, action, text, default="list")


async def _ask_list(turn: Turn) -> None:
    if turn.patient_id is None:
        turn.go(None)
        turn.say(
            turn._("I do not know your clinic card yet: book a visit or link your card."),
            menu.menu_rows(turn),
        )
        return
    upcoming = await turn.services.booking.upcoming(turn.patient_id)
    if not upcoming:
        turn.go(None)
        turn.say(turn._("You have no upcoming visits."), menu.menu_rows(turn))
        return
    catalog = turn.services.catalog
    names = await catalog.doctor_names(turn.texts.language)
    whose = await whom.first_names(turn)
    lines, rows = [], []
    for visit in upcoming:
        branch = await catalog.branch(visit.branch_id)
        service = await catalog.service(visit.service_id)
        when = turn.texts.when(visit.start_at, branch.timezone)
        name = local_name(service, turn.texts.language)
        doctor = names.get(visit.doctor_id, "")
        lines.append(
            f"• {when}\n{whom.for_line(turn, visit, whose, '  ')}  {name}, {doctor}\n"
            f"  📍 {branch.address}"
        )
        rows.append(
            [
                turn.button(
                    turn._("🔁 Move {when}", when=turn.texts.time(visit.start_at, branch.timezone)),
                    actions.MOVE.pack(visit.id),
                ),
                turn.button(turn._("✖️ Cancel"), actions.CANCEL.pack(visit.id)),
                turn.button("📆", actions.CALENDAR.pack(visit.id)),
            ]
        )
    rows.append([turn.button(turn._("🏠 Menu"), actions.MENU.pack())])
    turn.say(turn._("Your upcoming visits:") + "\n\n" + "\n\n".join(lines), rows)


async def _on_list(turn: Turn, action: str | None, _text: str | None) -> bool:
    """A visit's "move" or "cancel" (pressed under the list, or under a reminder)."""
    if turn.patient_id is None:
        return False
    move, cancel = actions.MOVE.unpack(action), actions.CANCEL.unpack(action)
    if move is not None:
        await booking.start_move(turn, move)
        return True
    if cancel is not None:
        turn.data["cancel"] = cancel
        turn.at("reason")
        await prompt(turn)
        return True
    return False


async def _on_reason(turn: Turn, action: str | None, text: str | None) -> bool:
    """Why the visit is cancelled; another visit's "move" or "cancel" still works here."""
    others = bool(turn.data.get("cancel_others"))  # a dependent's visit: not "yours"
    if actions.KEEP.pressed(action):
        turn.go(None)
        kept = (
            turn._("Good, the visit stays booked.")
            if others
            else turn._("Good, your visit stays booked.")
        )
        turn.say(kept, menu.menu_rows(turn))
        return True
    why = actions.WHY.unpack(action)
    if why is None or turn.patient_id is None:
        return await _on_list(turn, action, text)
    reason = why if why in REASONS else "other"
    visit = await turn.services.booking.cancel(
        turn.actor, turn.data["cancel"], f"patient: {reason}"
    )
    turn.go(None)
    done = turn._("The visit is cancelled:") if others else turn._("Your visit is cancelled:")
    turn.say(done + "\n" + await _describe(turn, visit), menu.menu_rows(turn))
    return True


async def _describe(turn: Turn, visit: Booking) -> str:
    """A visit in a few lines: whom it is for (a dependent's), its service and doctor,
    its time and place."""
    catalog = turn.services.catalog
    branch = await catalog.branch(visit.branch_id)
    service = await catalog.service(visit.service_id)
    doctor = (await catalog.doctor_names(turn.texts.language)).get(visit.doctor_id, "")
    when = turn.texts.when(visit.start_at, branch.timezone)
    name = local_name(service, turn.texts.language)
    where = local_name(branch, turn.texts.language)
    whose = whom.for_line(turn, visit, await whom.first_names(turn))
    return f"{whose}🩺 {name}, {doctor}\n🕒 {when}\n📍 {where}, {branch.address}"


async def from_notice(turn: Turn, action: str) -> None:
    """ "Move" or "cancel" pressed under a reminder: the same steps as from the list."""
    if turn.patient_id is None:
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    turn.go("visits", "list")
    await _on_list(turn, action, None)


async def confirm(turn: Turn, booking_id: int) -> None:
    """ "I will come" under a reminder, also a dependent's reminder reaching the guardian
    (anyone else's visit is 'not found' in the core)."""
    if turn.patient_id is None:
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    try:
        visit = await turn.services.booking.confirm_attendance(turn.actor, booking_id)
    except InvalidTransition:
        turn.say(turn._("That visit is no longer booked."), menu.menu_rows(turn))
        return
    branch = await turn.services.catalog.branch(visit.branch_id)
    when = turn.texts.when(visit.start_at, branch.timezone)
    thanks = turn._("Thank you, we are expecting you: {when}.", when=when)
    turn.say(thanks, menu.menu_rows(turn))


async def _ask_reason(turn: Turn) -> None:
    try:
        visit = await turn.services.booking.get_for(turn.actor, turn.data["cancel"])
    except NotFound:
        turn.go(None)
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    others = visit.patient_id != turn.patient_id
    turn.data["cancel_others"] = others
    labels = {  # worded for whose visit it is: a guardian's dependent's is not "mine"
        "plans": turn._("My plans changed"),
        "better": turn._("The patient feels better") if others else turn._("I feel better"),
        "ill": turn._("The patient is ill") if others else turn._("I am ill"),
        "other": turn._("Another reason"),
    }
    rows = [[turn.button(labels[key], actions.WHY.pack(key))] for key in REASONS]
    keep = turn._("↩️ Keep the visit") if others else turn._("↩️ Keep my visit")
    rows.append([turn.button(keep, actions.KEEP.pack())])
    turn.say(
        turn._("Cancel this visit? If so, choose why; if not, keep it.")
        + "\n"
        + await _describe(turn, visit),
        rows,
    )


async def calendar_file(turn: Turn, booking_id: int) -> None:
    """The .ics of one's own or a dependent's visit (anyone else's is 'not found' in the
    core), with a signed link beside it for channels that cannot carry the file itself."""
    services = turn.services
    try:
        if turn.patient_id is None:
            raise NotFound("no card in this chat")
        visit = await services.booking.get_for(turn.actor, booking_id)
    except NotFound:
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    attachment = await visit_file(services.catalog, visit, services.clock.now())
    if services.calendar_links is not None:
        url = services.calendar_links.url(booking_id, visit.end_at + LINK_LIFETIME_AFTER_VISIT)
        attachment = replace(attachment, url=url)
    turn.say(turn._("Your visit as a calendar file."), menu.menu_rows(turn), attachment=attachment)


STEPS: dict[str, Step] = {
    "list": Step(_ask_list, _on_list),
    "reason": Step(_ask_reason, _on_reason),
}
