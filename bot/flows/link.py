"""Linking a clinic card: type (or deep-link) the desk's 9-digit code, or ask for one
with name and date of birth; the answer never tells whether such a card exists."""

from __future__ import annotations

import re

from bot import actions
from bot.chat import Button
from bot.dates import parse_date
from bot.flows import menu, privacy
from bot.turn import Step, Turn, answer, ask
from core.errors import LinkCodeInvalid, Throttled

CODE = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{3}", re.ASCII)


def looks_like_code(text: str) -> bool:
    """A desk's linking code as patients type it: "123456789", "123 456 789", "123-456-789"."""
    return CODE.fullmatch(text.strip()) is not None


async def start(turn: Turn) -> None:
    turn.go("link", "code")
    await prompt(turn)


async def prompt(turn: Turn) -> None:
    await ask(STEPS, turn, default="code")


async def handle(turn: Turn, action: str | None, text: str | None) -> bool:
    return await answer(STEPS, turn, action, text)


async def _ask_code(turn: Turn) -> None:
    turn.say(
        turn._("Type the 9-digit code you got from the registration desk."),
        _code_rows(turn),
    )


async def _on_code(turn: Turn, action: str | None, text: str | None) -> bool:
    if actions.NO_CODE.pressed(action):
        turn.at("name")
        await prompt(turn)
        return True
    if text and sum(ch.isdigit() for ch in text) == 9:
        await redeem(turn, text)
        return True
    return False


async def _ask_name(turn: Turn) -> None:
    await privacy.tell_once(turn)
    turn.say(turn._("Your first and last name as on your clinic card?"))


async def _on_name(turn: Turn, _action: str | None, text: str | None) -> bool:
    if not text:
        return False
    parts = text.split()
    if len(parts) < 2:
        turn.say(turn._("Please give both your first and last name."))
        return True
    turn.data["first_name"], turn.data["last_name"] = parts[0], " ".join(parts[1:])
    turn.at("dob")
    await prompt(turn)
    return True


async def _ask_dob(turn: Turn) -> None:
    turn.say(turn._("Your date of birth, please (DD.MM.YYYY)."))


async def _on_dob(turn: Turn, _action: str | None, text: str | None) -> bool:
    if not text:
        return False
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


def _code_rows(turn: Turn) -> list[list[Button]]:
    return [
        [turn.button(turn._("I have no code"), actions.NO_CODE.pack())],
        [turn.button(turn._("🏠 Menu"), actions.MENU.pack())],
    ]


async def redeem(turn: Turn, code: str) -> None:
    try:
        patient_id = await turn.services.linking.redeem(
            turn.incoming.channel, turn.incoming.chat_id, code
        )
    except LinkCodeInvalid:
        turn.say(
            turn._("That code does not work: it may be mistyped, used or expired."),
            _code_rows(turn),
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


STEPS: dict[str, Step] = {
    "code": Step(_ask_code, _on_code),
    "name": Step(_ask_name, _on_name),
    "dob": Step(_ask_dob, _on_dob),
}
