"""Prescription renewal: the medicine said aloud (its transcript) or a recorded message,
left as a task for the staff."""

from __future__ import annotations

from core.vocab import CallOutcome, TaskKind
from ivr.inbound import VoiceInput
from ivr.turn import Step, Turn, go, menu_option, words
from ivr.twiml import Option, Prompt


async def _ask_rx(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        t._("Please say the name and the dose of the medicine you need renewed."),
        [
            Option(
                "1",
                t._("To leave a recorded message instead"),
                "record",
                words(t._("recording, message")),
            ),
            menu_option(turn),
        ],
        timeout=8,
        simple=t._("Say the name of the medicine."),
    )


async def _answer_rx(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    t = turn.texts
    if action == "record":
        turn.say(t._("Please speak after the tone. Press hash when you are done."))
        turn.record = True
        return True
    if action == "menu":
        await go(turn, "menu")
        return True
    if voice.digits or not voice.speech.strip():
        return False
    details = {"transcript": voice.speech.strip(), "confidence": voice.extras.get("Confidence", "")}
    await prescription(turn, details)
    return True


async def prescription(turn: Turn, details: dict[str, str]) -> None:
    services = turn.services
    await services.tasks.create(
        TaskKind.PRESCRIPTION,
        language=turn.call.language,
        details=details,
        patient_id=turn.patient_id,
        branch_id=turn.branch.id,
        phone=turn.call.caller,
        call_sid=turn.call.call_sid,
    )
    turn.call.outcome = CallOutcome.TASK
    turn.say(
        turn.texts._(
            "Thank you. Your request goes to your doctor; we will let you know when it is ready."
        )
    )
    await go(turn, "menu")


STEPS = {
    "rx": Step(_ask_rx, _answer_rx),
}
