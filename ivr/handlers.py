"""Which flow entry point answers which webhook path, and the one wrapper that keeps a
failure inside the flow from reaching the caller as Twilio's "application error"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from edge.i18n import Texts
from ivr.flow import Ivr
from ivr.inbound import VoiceInput
from ivr.paths import BASE, INPUT, QUEUE_DONE, QUEUE_KEY, QUEUE_WAIT, RECORDING, STATUS
from ivr.twiml import speak

log = logging.getLogger(__name__)

Handler = Callable[[Ivr, VoiceInput], Awaitable[str | None]]

ROUTES: dict[str, Handler] = {
    BASE: Ivr.incoming,
    INPUT: Ivr.answer,
    RECORDING: Ivr.recorded,
    QUEUE_WAIT: Ivr.queue_wait,
    QUEUE_KEY: Ivr.queue_key,
    QUEUE_DONE: Ivr.queue_done,
    STATUS: Ivr.status,
}


async def answer(ivr: Ivr, handler: Handler, voice: VoiceInput) -> str:
    """The flow's TwiML, or an apology in the line's language if the flow failed (logged,
    without the caller's data)."""
    t = Texts(ivr.language_for(voice.called))
    try:
        return await handler(ivr, voice) or str(speak(t, []))
    except Exception:
        log.exception("voice flow failed on %s", handler.__name__)
        apology = speak(t, [t._("Sorry, something went wrong. Please call again in a moment.")])
        apology.hangup()
        return str(apology)
