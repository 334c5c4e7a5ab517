"""The phone menu's entry points: one per webhook, each loading the call by CallSid,
taking one step and saving the call, so any server process can take a call's next step.

Every prompt ends in a <Redirect> to its own action, so silence is an answer too: the
first miss (silence or a key that means nothing) repeats the prompt, the second says
it more simply (keys only), the third puts the caller through to the desk, or offers
a callback when the desk is closed. A replayed webhook (Twilio retries on a timeout)
gets the answer it got the first time, from the state: nothing happens twice.
"""

from __future__ import annotations

from datetime import timedelta

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from core.clinic.names import local_name
from core.errors import DomainError, NotFound
from core.models import Branch
from core.patients.identity import normalize_phone
from core.vocab import CallbackReason, CallOutcome
from edge.i18n import LANGUAGES, Texts
from ivr import booking, desk, identify, menu, prescription, spoken, visits, whom
from ivr.call_to_text import QUEUE_TEXT_KEY, can_text, text_goodbye, text_link
from ivr.desk import callback, offer_callback
from ivr.inbound import VoiceInput, number
from ivr.paths import INPUT, QUEUE_KEY, RECORDING
from ivr.prescription import prescription as leave_prescription
from ivr.turn import MENU, IvrServices, Step, Turn, chosen, go, reachable
from ivr.twiml import render_prompt, say, speak

MISSES_BEFORE_DESK = 3
RECORDING_SECONDS = 120
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")
BRIDGED = ("bridged", "bridging-in-process", "redirected", "redirected-from-bridged")
STEPS: dict[str, Step] = {
    **menu.STEPS,
    **identify.STEPS,
    **booking.STEPS,
    **whom.STEPS,
    **visits.STEPS,
    **prescription.STEPS,
    **desk.STEPS,
}


class Ivr:
    """The webhooks' entry points; each returns the TwiML to answer with, as text."""

    def __init__(self, services: IvrServices) -> None:
        self.services = services

    # -- entry points ------------------------------------------------------------------

    async def incoming(self, voice: VoiceInput) -> str:
        clinic = await self.services.catalog.clinic()
        branch = await self._branch_for(voice.called)
        language = self.language_for(voice.called, clinic.default_language if clinic else "pl")
        call = await self.services.calls.start(
            voice.call_sid, voice.caller, voice.called, branch.id, language
        )
        if call.state.get("last"):  # Twilio retried the first webhook
            return str(call.state["last"])
        turn = Turn(self.services, call, branch, Texts(language), STEPS)
        t = turn.texts
        now = self.services.clock.now()
        turn.say(
            t._(
                "Welcome to {clinic}, {branch}.",
                clinic=clinic.name if clinic else "",
                branch=local_name(branch, language),
            )
        )
        if not spoken.open_now(branch, now):  # the hours and address are under key 4
            turn.say(spoken.hours_today(t, branch, now))
        await go(turn, "menu")
        return await self._finish(turn)

    async def answer(self, voice: VoiceInput) -> str:
        """A Gather's action, or the Redirect after it when the caller said nothing."""
        turn = await self._turn(voice)
        if turn is None:
            return await self.incoming(voice)
        if turn.call.ended:
            return str(VoiceResponse())
        if voice.step != str(turn.state.get("seq")):
            return str(turn.state.get("last") or VoiceResponse())
        handled = False
        step = STEPS.get(turn.step)
        if step is not None and not voice.silent:
            handled = await step.answer(turn, chosen(turn, voice), voice)
        if not handled:
            await miss(turn)
        return await self._finish(turn)

    async def recorded(self, voice: VoiceInput) -> str:
        """A <Record>'s action: the prescription request left as a recording."""
        turn = await self._turn(voice)
        if turn is None or turn.call.ended or voice.step != str(turn.state.get("seq")):
            return str(VoiceResponse())
        url = voice.extras.get("RecordingUrl", "")
        if turn.step != "rx" or not url.startswith("https://"):
            await miss(turn)
            return await self._finish(turn)
        await leave_prescription(
            turn, {"recording_url": url, "seconds": voice.extras.get("RecordingDuration", "")}
        )
        return await self._finish(turn)

    async def queue_wait(self, voice: VoiceInput) -> str:
        """The hold message, said again and again while the caller waits for the desk."""
        response = VoiceResponse()
        try:
            call = await self.services.calls.load(voice.call_sid)
        except NotFound:  # not a call we queued: let it wait in silence
            response.pause(length=self.services.policy.queue_pause_seconds)
            return str(response)
        t = Texts(call.language)
        position = number(voice.extras.get("QueuePosition", ""))
        if position:
            say(response, t, t._("You are number {position} in the queue.", position=position))
        waited = timedelta(seconds=number(voice.extras.get("QueueTime", "")))
        offers = []
        if waited >= self.services.policy.callback_offer_after and reachable(call.caller):
            offers.append(t._("To be called back instead of waiting, press 1."))
        if self.services.links is not None and reachable(call.caller):
            offers.append(
                t._(
                    "To get a link to book a visit by text message instead, press {key}.",
                    key=QUEUE_TEXT_KEY,
                )
            )
        if offers:
            gather = response.gather(
                input="dtmf", num_digits=1, action=QUEUE_KEY, method="POST", timeout=5
            )
            for offer in offers:
                say(gather, t, offer)
        response.pause(length=self.services.policy.queue_pause_seconds)
        return str(response)

    async def queue_key(self, voice: VoiceInput) -> str:
        """A key pressed while waiting: 1 leaves the queue with a callback request, 2 with
        a booking link by text message."""
        turn = await self._turn(voice)
        if turn is None:
            return str(VoiceResponse())
        t = turn.texts
        if voice.digits == QUEUE_TEXT_KEY and can_text(turn) and await text_link(turn):
            await self._save(turn)
        elif voice.digits == "1" and reachable(turn.call.caller):
            await callback(turn, CallbackReason.QUEUE_LONG)
            await self._save(turn)
        else:
            return str(speak(t, [t._("You stay in the queue.")]))
        response = VoiceResponse()
        response.leave()
        return str(response)

    async def queue_done(self, voice: VoiceInput) -> str:
        """The caller left the queue: talked to the desk, chose a callback, hung up, or the
        queue failed them."""
        turn = await self._turn(voice)
        if turn is None:
            return str(VoiceResponse())
        t = turn.texts
        result = voice.extras.get("QueueResult", "")
        turn.call.visit(f"queue:{result or 'unknown'}")
        response = VoiceResponse()
        if result == "leave" and turn.data.get("texted"):
            text_goodbye(turn)
            return await self._finish(turn)
        if result == "leave" and turn.data.get("callback"):
            say(
                response,
                t,
                t._("Thank you. We will call you back at this number as soon as we can. Goodbye."),
            )
            response.hangup()
        elif result == "hangup":
            if not turn.data.get("callback") and reachable(turn.call.caller):
                await callback(turn, CallbackReason.MISSED)
            turn.call.outcome = CallOutcome.ABANDONED
        elif result in BRIDGED:
            turn.call.outcome = CallOutcome.DESK
            response.hangup()
        else:  # queue-full, error, system-error
            turn.say(t._("The registration desk is busy right now."))
            await offer_callback(turn, CallbackReason.DESK_BUSY)
            return await self._finish(turn)
        turn.final = response
        return await self._finish(turn)

    async def status(self, voice: VoiceInput) -> None:
        """The call's end (Twilio's status callback): its record closed, its hold let go."""
        if voice.extras.get("CallStatus") not in ENDED:
            return
        duration = voice.extras.get("CallDuration", "")
        seconds = number(duration) if duration else None
        call = await self.services.calls.finish(voice.call_sid, seconds)
        hold = call.state.get("data", {}).get("hold") if call else None
        if hold:
            await self.services.booking.release(hold)

    # -- plumbing ----------------------------------------------------------------------

    async def _turn(self, voice: VoiceInput) -> Turn | None:
        try:
            call = await self.services.calls.load(voice.call_sid)
        except NotFound:
            return None
        branch = await self._branch(call.branch_id)
        return Turn(self.services, call, branch, Texts(call.language), STEPS)

    async def _finish(self, turn: Turn) -> str:
        """Render what the turn decided, remember it for replays, save the call."""
        seq = int(turn.state.get("seq", 0)) + 1
        action = f"{INPUT}?n={seq}"
        if turn.record:
            response = speak(turn.texts, turn.before)
            response.record(
                action=f"{RECORDING}?n={seq}",
                method="POST",
                max_length=RECORDING_SECONDS,
                finish_on_key="#",
                play_beep=True,
                timeout=5,
            )
            response.redirect(action, method="POST")
        elif turn.prompt is not None:
            response = render_prompt(
                turn.texts, turn.prompt, action, before=turn.before, simple=turn.simple
            )
            turn.state["choices"] = turn.prompt.choices()
        else:
            response = speak(turn.texts, turn.before)
            for verb in (turn.final or VoiceResponse()).verbs:
                response.append(verb)
            turn.state.pop("choices", None)
        xml = str(response)
        turn.state.update(seq=seq, last=xml)
        await self._save(turn)
        return xml

    async def _save(self, turn: Turn) -> None:
        turn.call.visit(turn.step)
        await self.services.calls.save(turn.call)

    async def _branch_for(self, called: str) -> Branch:
        """The branch whose phone number was dialled (the first one for any other number)."""
        branches = await self.services.catalog.branches()
        if not branches:
            raise NotFound("no branch to answer for")
        try:
            dialled = normalize_phone(called)
        except DomainError:
            return branches[0]
        return next((b for b in branches if b.phone == dialled), branches[0])

    async def _branch(self, branch_id: int | None) -> Branch:
        if branch_id is None:
            return (await self.services.catalog.branches())[0]
        return await self.services.catalog.branch(branch_id)

    def language_for(self, called: str, default: str = "pl") -> str:
        """The dialled line's language (IVR_LANGUAGES), else `default`; no database read."""
        language = self.services.policy.languages.get(called, default)
        return language if language in LANGUAGES else "pl"


async def miss(turn: Turn) -> None:
    """Silence or a key that means nothing: the question again, then simpler, then the desk."""
    misses = int(turn.state.get("misses", 0)) + 1
    t = turn.texts
    if misses >= MISSES_BEFORE_DESK:
        if turn.step == "callback_offer":
            await callback(turn, CallbackReason(turn.data.get("cb_reason", "after_hours")))
            return
        turn.say(t._("Let me put you through to the registration desk."))
        await desk.desk(turn)
        return
    turn.say(t._("Sorry, I did not catch that."))
    turn.state["misses"] = misses
    turn.simple = misses == MISSES_BEFORE_DESK - 1
    step = turn.steps.get(turn.step)
    if step is None:  # a step that asks nothing (the queue): back to the menu
        await go(turn, MENU)
        return
    await step.ask(turn)
