"""My visits: the upcoming ones, each to move, cancel (with a reason) or add to a calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.calendar import visit_file
from bot.flows import booking, menu
from bot.turn import Turn
from core.errors import InvalidTransition

REASONS = ("plans", "better", "ill", "other")
LINK_LIFETIME_AFTER_VISIT = timedelta(days=1)


async def start(turn: Turn) -> None:
    turn.go("visits", "list")
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    if turn.step == "reason":
        await _ask_reason(turn)
        return
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
    names = await catalog.doctor_names()
    lines, rows = [], []
    for visit in upcoming:
        branch = await catalog.branch(visit.branch_id)
        service = await catalog.service(visit.service_id)
        when = turn.texts.when(visit.start_at, branch.timezone)
        lines.append(
            f"• {when}\n  {service.name}, {names.get(visit.doctor_id, '')}\n  📍 {branch.address}"
        )
        rows.append(
            [
                turn.button(
                    turn._("🔁 Move {when}", when=turn.texts.time(visit.start_at, branch.timezone)),
                    f"mv:{visit.id}",
                ),
                turn.button(turn._("✖️ Cancel"), f"cx:{visit.id}"),
                turn.button("📆", f"ics:{visit.id}"),
            ]
        )
    rows.append([turn.button(turn._("🏠 Menu"), "menu")])
    turn.say(turn._("Your upcoming visits:") + "\n\n" + "\n\n".join(lines), rows)


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    if not action or turn.patient_id is None:
        return False
    if action.startswith("mv:"):
        await booking.start_move(turn, int(action[3:]))
        return True
    if action.startswith("cx:"):
        turn.data["cancel"] = int(action[3:])
        turn.at("reason")
        await prompt(turn)
        return True
    if action.startswith("why:") and turn.step == "reason":
        reason = action[4:] if action[4:] in REASONS else "other"
        await turn.services.booking.cancel(turn.actor, turn.data["cancel"], f"patient: {reason}")
        turn.go(None)
        turn.say(turn._("Your visit is cancelled."), menu.menu_rows(turn))
        return True
    return False


async def from_notice(turn: Turn, action: str) -> None:
    """ "Move" or "cancel" pressed under a reminder: the same steps as from the list."""
    if turn.patient_id is None:
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    turn.go("visits", "list")
    await handle(turn, action, None)


async def confirm(turn: Turn, booking_id: int) -> None:
    """ "I will come" under a reminder (someone else's visit is 'not found' in the core)."""
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
    labels = {
        "plans": turn._("My plans changed"),
        "better": turn._("I feel better"),
        "ill": turn._("I am ill"),
        "other": turn._("Another reason"),
    }
    turn.say(
        turn._("Why are you cancelling?"),
        [[turn.button(labels[key], f"why:{key}")] for key in REASONS],
    )


async def calendar_file(turn: Turn, booking_id: int) -> None:
    """The .ics of one's own visit (anyone else's is 'not found' in the core), with a signed
    link beside it for channels that cannot carry the file itself."""
    services = turn.services
    visit = await services.booking.get(booking_id)
    if turn.patient_id is None or visit.patient_id != turn.patient_id:
        turn.say(turn._("I cannot find that visit."), menu.menu_rows(turn))
        return
    attachment = await visit_file(services.catalog, visit, services.clock.now())
    if services.calendar_links is not None:
        url = services.calendar_links.url(booking_id, visit.end_at + LINK_LIFETIME_AFTER_VISIT)
        attachment = replace(attachment, url=url)
    turn.say(turn._("Your visit as a calendar file."), attachment=attachment)
