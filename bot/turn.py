"""One patient action being answered (`Turn`): the state, the language, the patient, and
helpers for the flows to reply with buttons that can be told apart from stale ones; and
the core services a conversation uses (`BotServices`), kept beside the turn that carries
them, as `ivr.turn` keeps `IvrServices`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.calendar import CalendarLinks
from bot.chat import Button, Incoming, Reply
from bot.courier import Courier
from core.actors import Actor
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.patients.cards import PatientService
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
    waitlist: WaitlistService
    linking: LinkingService
    escalation: EscalationService
    conversations: ConversationStore
    courier: Courier | None = None
    calendar_links: CalendarLinks | None = None  # set when the app has a public URL


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
        return Button(label, f"{self.state.get('turn', 0)}|{action}")

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
