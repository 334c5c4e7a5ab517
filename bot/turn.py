"""One patient action being answered (`Turn`): the state, the language, the patient, and
helpers for the flows to reply with buttons that can be told apart from stale ones; the
core services a conversation uses (`BotServices`), kept beside the turn that carries
them, as `ivr.turn` keeps `IvrServices`; and a journey's declared `Step`s (its question and
how its answer is read), looked up by the step name saved in the chat's state, as the
phone menu's `ivr.turn.Step`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.actions import bound
from bot.calendar import CalendarLinks
from bot.chat import Button, Incoming, Reply
from bot.courier import Courier
from core.actors import Actor
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.documents.consents import ConsentRegister
from core.documents.links import DocumentLinks
from core.documents.service import DocumentService
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.patients.cards import PatientService
from core.patients.care import CareService
from core.patients.linking import LinkingService
from core.schedule.search import SlotSearch
from edge.i18n import Texts

TRANSCRIPT_KEEP = 12


@dataclass(frozen=True)
class BotServices:
    """The core services a conversation uses."""

    clock: Clock
    catalog: Catalog
    search: SlotSearch
    booking: BookingService
    patients: PatientService
    care: CareService
    waitlist: WaitlistService
    linking: LinkingService
    escalation: EscalationService
    conversations: ConversationStore
    courier: Courier | None = None
    calendar_links: CalendarLinks | None = None  # set when the app has a public URL
    documents: DocumentService | None = None
    consents: ConsentRegister | None = None
    document_links: DocumentLinks | None = None
    public_base_url: str | None = None  # where document links lead
    privacy_url: str | None = None  # the full information notice, when configured


@dataclass
class Turn:
    services: BotServices
    incoming: Incoming
    state: dict[str, Any]
    texts: Texts
    patient_id: int | None = None
    replies: list[Reply] = field(default_factory=list)

    # -- state ------------------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.state.setdefault("data", {})
        return data

    @property
    def step(self) -> str | None:
        step: str | None = self.state.get("step")
        return step

    def go(self, flow: str | None, step: str | None = None, *, keep_data: bool = False) -> None:
        self.state["flow"], self.state["step"] = flow, step
        if not keep_data:
            self.state["data"] = {}

    def at(self, step: str) -> None:
        self.state["step"] = step

    @property
    def actor(self) -> Actor:
        assert self.patient_id is not None
        return Actor.patient(self.patient_id, self.incoming.channel)

    # -- replies ----------------------------------------------------------------

    def _(self, message: str, **params: object) -> str:
        return self.texts._(message, **params)

    def button(self, label: str, action: str) -> Button:
        """A button bound to this turn: pressed after the conversation moved on, it is stale."""
        return Button(label, bound(self.state.get("turn", 0), action))

    def say(
        self,
        text: str,
        rows: list[list[Button]] | None = None,
        *,
        ask_contact: bool = False,
        attachment: Any = None,
    ) -> None:
        self.replies.append(
            Reply(
                text,
                tuple(tuple(r) for r in rows or []),
                ask_contact=self._("📱 Share my phone number") if ask_contact else None,
                attachment=attachment,
            )
        )

    def note(self, author: str, text: str) -> None:
        """Keep the last lines of the conversation for an escalation's transcript."""
        transcript: list[list[str]] = self.state.setdefault("transcript", [])
        transcript.append([author, text[:500]])
        del transcript[:-TRANSCRIPT_KEEP]


@dataclass(frozen=True)
class Step:
    """One step of a journey: `ask` shows its question, `answer` reads the patient's
    action (a button's) or text and says whether it understood it."""

    ask: Callable[[Turn], Awaitable[None]]
    answer: Callable[[Turn, str | None, str | None], Awaitable[bool]]


Steps = Mapping[str, Step]


def current(steps: Steps, turn: Turn, default: str | None = None) -> Step | None:
    """The step the chat is at (its name is saved in the state), else `default`'s."""
    step = steps.get(turn.step or "")
    if step is None and default is not None:
        return steps[default]
    return step


async def ask(steps: Steps, turn: Turn, default: str | None = None) -> None:
    """Ask the current step's question (none when the chat is at no step of `steps`)."""
    step = current(steps, turn, default)
    if step is not None:
        await step.ask(turn)


async def answer(
    steps: Steps, turn: Turn, action: str | None, text: str | None, default: str | None = None
) -> bool:
    """Let the current step read the answer; False when it did not understand it."""
    step = current(steps, turn, default)
    return step is not None and await step.answer(turn, action, text)
