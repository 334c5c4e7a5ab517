"""Answers to waiting-list offers (the offer message carries accept and decline buttons)."""

from __future__ import annotations

from bot import actions
from bot.flows import menu
from bot.turn import Turn
from core.errors import NotFound, OfferGone


async def answer(turn: Turn, offer_id: int, *, accept: bool) -> None:
    if turn.patient_id is None:
        turn.say(turn._("I cannot find that offer."), menu.menu_rows(turn))
        return
    waitlist = turn.services.waitlist
    try:
        if accept:
            booking_id = await waitlist.accept(turn.actor, offer_id)
        else:
            await waitlist.decline(turn.actor, offer_id)
    except (OfferGone, NotFound):
        turn.say(
            turn._("Sorry, this time is no longer available. You stay on the waiting list."),
            menu.menu_rows(turn),
        )
        return
    if accept:
        turn.say(
            turn._("Done: your visit is booked."),
            [
                [turn.button(turn._("📆 Add to calendar"), actions.CALENDAR.pack(booking_id))],
                [turn.button(turn._("🏠 Menu"), actions.MENU.pack())],
            ],
        )
    else:
        turn.say(turn._("All right, you stay on the waiting list."), menu.menu_rows(turn))
