"""Talk to a person: the conversation goes to the registration desk with its transcript;
until the desk closes it, what the patient writes goes to the desk."""

from __future__ import annotations

from bot import actions
from bot.flows import menu
from bot.turn import Turn


async def escalate(turn: Turn, reason: str) -> None:
    """Open the case for the branch the patient picked in this chat, if they did (else the
    core takes their last visit's); outside opening hours, say when the desk answers."""
    case = await turn.services.escalation.open(
        turn.incoming.channel,
        turn.incoming.chat_id,
        reason=reason,
        language=turn.texts.language,
        patient_id=turn.patient_id,
        branch_id=turn.data.get("slot_branch") or turn.data.get("branch"),
        transcript=[(author, text) for author, text in turn.state.get("transcript", [])],
    )
    turn.state["escalation"] = case.id
    turn.state["transcript"] = []
    opens = await turn.services.escalation.desk_opens(case.branch_id)
    closed = (
        ""
        if opens is None
        else "\n"
        + turn._(
            "The desk is closed now: it answers from {when}.",
            when=turn.texts.when(opens.at, opens.timezone),
        )
    )
    if reason == "asked":
        turn.go(None)
        turn.say(
            turn._(
                "I have passed our conversation to the registration desk. A person will "
                "answer here; just write your message."
            )
            + closed,
            [[turn.button(turn._("🏠 Menu"), actions.MENU.pack())]],
        )
    else:
        turn.say(
            turn._(
                "Sorry, I did not understand. I have asked the registration desk to help you "
                "here; meanwhile you can keep going with the menu."
            )
            + closed,
            menu.menu_rows(turn),
        )


async def forward(turn: Turn, text: str) -> bool:
    """Pass the patient's words to the desk; False when the desk has closed the case."""
    case_id = turn.state.get("escalation")
    if case_id is None:
        return False
    active = await turn.services.escalation.active(turn.incoming.channel, turn.incoming.chat_id)
    if active is None or active.id != case_id:
        turn.state.pop("escalation", None)
        return False
    await turn.services.escalation.patient_says(case_id, text)
    turn.say(
        turn._(
            "Passed to the registration desk. A person answers here during the clinic's "
            "opening hours; meanwhile you can use the menu."
        ),
        [[turn.button(turn._("🏠 Menu"), actions.MENU.pack())]],
    )
    return True
