"""Linking a clinic card: type (or deep-link) the desk's 9-digit code, or ask for one
with name and date of birth; the answer never tells whether such a card exists."""

from __future__ import annotations

from bot.dates import parse_date
from bot.flows import menu
from bot.turn import Turn
from core.errors import LinkCodeInvalid, Throttled


async def start(turn: Turn) -> None:
    turn.go("link", "code")
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    if turn.step == "name":
        turn.say(turn._("Your first and last name as on your clinic card?"))
    elif turn.step == "dob":
        turn.say(turn._("Your date of birth, please (DD.MM.YYYY)."))
    else:
        turn.say(
            turn._("Type the 9-digit code you got from the registration desk."),
            [
                [turn.button(turn._("I have no code"), "nocode")],
                [turn.button(turn._("🏠 Menu"), "menu")],
            ],
        )


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    if turn.step == "code":
        if action == "nocode":
            turn.at("name")
            await prompt(turn)
            return True
        if text and sum(ch.isdigit() for ch in text) == 9:
            await redeem(turn, text)
            return True
        return False
    if not text:
        return False
    if turn.step == "name":
        parts = text.split()
        if len(parts) < 2:
            turn.say(turn._("Please give both your first and last name."))
            return True
        turn.data["first_name"], turn.data["last_name"] = parts[0], " ".join(parts[1:])
        turn.at("dob")
        await prompt(turn)
        return True
    if turn.step == "dob":
        born = parse_date(text)
        if born is None:
            turn.say(turn._("I could not read that date. Please write it like 24.05.1987."))
            return True
        try:
            issued = await turn.services.linking.request(
                turn.incoming.channel,
                turn.incoming.chat_id,
                turn.data["first_name"],
                turn.data["last_name"],
                born,
            )
        except Throttled:
            issued = None
        if issued is not None and turn.services.courier is not None:
            await turn.services.courier.deliver_code(issued, turn.texts.language)
        turn.go("link", "code")
        turn.say(
            turn._(
                "If these details match a clinic card, a code is on its way to the card's "
                "contact. Type it here when it arrives."
            )
        )
        return True
    return False


async def redeem(turn: Turn, code: str) -> None:
    try:
        patient_id = await turn.services.linking.redeem(
            turn.incoming.channel, turn.incoming.chat_id, code
        )
    except LinkCodeInvalid:
        turn.say(
            turn._("That code does not work: it may be mistyped, used or expired."),
            [
                [turn.button(turn._("I have no code"), "nocode")],
                [turn.button(turn._("🏠 Menu"), "menu")],
            ],
        )
        turn.go("link", "code")
        return
    except Throttled:
        turn.say(
            turn._("Too many attempts. Please try again in a quarter of an hour."),
            menu.menu_rows(turn),
        )
        turn.go(None)
        return
    turn.patient_id = patient_id
    turn.go(None)
    turn.say(turn._("Your clinic card is linked. Welcome!"), menu.menu_rows(turn))
