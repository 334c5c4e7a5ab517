"""The registration desk: its queue while the branch is open, otherwise (or when the queue
fails) a callback offer; callback requests merged per number by the core."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from core.clinic.hours import is_open, next_opening
from core.models import Branch
from core.patients.identity import normalize_phone
from core.vocab import CallbackReason, CallOutcome
from ivr import spoken
from ivr.inbound import VoiceInput
from ivr.paths import QUEUE_DONE, QUEUE_WAIT
from ivr.turn import Step, Turn, go, menu_option, reachable, words
from ivr.twiml import Option, Prompt


def queue_name(branch: Branch) -> str:
    return f"desk-{branch.id}"


async def desk(turn: Turn) -> None:
    """Into the branch's desk queue while it is open; otherwise a callback is offered."""
    await turn.release_hold()
    turn.forget_booking()
    t = turn.texts
    now = turn.services.clock.now()
    if is_open(turn.branch, now):
        turn.say(t._("Connecting you to the registration desk. Please wait."))
        turn.state["step"] = "queue"
        turn.data.pop("callback", None)
        response = VoiceResponse()
        response.enqueue(
            queue_name(turn.branch),
            action=QUEUE_DONE,
            method="POST",
            wait_url=QUEUE_WAIT,
            wait_url_method="POST",
        )
        turn.final = response
        return
    turn.say(t._("The registration desk is closed now."))
    opening = next_opening(turn.branch, now)
    if opening is not None:
        turn.say(
            t._(
                "We open on {day} at {time}.",
                day=spoken.spoken_day(t, opening.date()),
                time=opening.strftime("%H:%M"),
            )
        )
    await offer_callback(turn, CallbackReason.AFTER_HOURS)


async def offer_callback(turn: Turn, reason: CallbackReason) -> None:
    t = turn.texts
    if not reachable(turn.call.caller):
        turn.say(t._("Please call us again during opening hours. Goodbye."))
        turn.state["step"] = "goodbye"
        turn.final = VoiceResponse()
        turn.final.hangup()
        return
    turn.data["cb_reason"] = reason.value
    await go(turn, "callback_offer")


async def _ask_callback_offer(turn: Turn) -> None:
    t = turn.texts
    turn.prompt = Prompt(
        "",
        [
            Option(
                "1",
                t._("To be called back at this number"),
                "callback",
                words(t._("yes, call me back, callback")),
            ),
            menu_option(turn),
        ],
    )


async def _answer_callback_offer(turn: Turn, action: str | None, voice: VoiceInput) -> bool:
    if action == "callback":
        await callback(turn, CallbackReason(turn.data.get("cb_reason", "after_hours")))
        return True
    if action == "menu":
        await go(turn, "menu")
        return True
    return False


async def callback(turn: Turn, reason: CallbackReason) -> None:
    """Leave a callback request for the desk (merged with an open one for the number)."""
    await turn.services.callbacks.request(
        normalize_phone(turn.call.caller),
        reason,
        call_sid=turn.call.call_sid,
        language=turn.call.language,
        patient_id=turn.call.patient_id,
        branch_id=turn.branch.id,
    )
    turn.data["callback"] = True
    turn.call.visit(f"callback:{reason.value}")
    if reason is CallbackReason.MISSED:
        return
    turn.call.outcome = CallOutcome.CALLBACK
    if turn.step == "queue":  # the caller is leaving the queue: the goodbye comes after
        return
    t = turn.texts
    turn.say(t._("Thank you. We will call you back at this number as soon as we can. Goodbye."))
    turn.state["step"] = "goodbye"
    turn.final = VoiceResponse()
    turn.final.hangup()


STEPS = {
    "callback_offer": Step(_ask_callback_offer, _answer_callback_offer),
}
