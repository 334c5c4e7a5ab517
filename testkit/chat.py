"""A patient chatting with the dialog directly, channel-neutral: for journey tests."""

from __future__ import annotations

import itertools

from bot.chat import Incoming, Reply
from bot.courier import Courier
from bot.dialog import Dialog
from bot.turn import BotServices
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.db.database import Database
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.patients.cards import PatientService
from core.patients.care import CareService
from core.patients.linking import LinkingService
from core.schedule.search import SlotSearch
from core.vocab import Channel
from testkit.documents import Desk

_deliveries = itertools.count(1)
SECRET = b"dialog-tests-secret-0123456789ab"
PUBLIC_URL = "https://clinic.example"


def make_dialog(
    db: Database, clock: Clock, courier: Courier | None = None, documents: Desk | None = None
) -> Dialog:
    """The dialog over the core; `documents` (testkit.documents.desk) adds "My documents"."""
    return Dialog(
        BotServices(
            clock=clock,
            catalog=Catalog(db),
            search=SlotSearch(db, clock),
            booking=BookingService(db, clock),
            patients=PatientService(db, clock),
            care=CareService(db, clock),
            waitlist=WaitlistService(db, clock),
            linking=LinkingService(db, clock, SECRET),
            escalation=EscalationService(db, clock),
            conversations=ConversationStore(db, clock),
            courier=courier,
            documents=documents.documents if documents else None,
            consents=documents.consents if documents else None,
            document_links=documents.links if documents else None,
            public_base_url=PUBLIC_URL if documents else None,
        )
    )


class Patient:
    """Types, presses buttons by their label, and keeps what the bot answered."""

    def __init__(
        self,
        dialog: Dialog,
        channel: Channel = Channel.TELEGRAM,
        chat_id: str = "1001",
        language: str | None = "pl",
    ) -> None:
        self.dialog, self.channel, self.chat_id, self.language = dialog, channel, chat_id, language
        self.seen: list[Reply] = []

    async def send(
        self, text: str | None = None, *, payload: str | None = None, phone: str | None = None
    ) -> list[Reply]:
        replies = await self.dialog.handle(
            Incoming(
                channel=self.channel,
                chat_id=self.chat_id,
                delivery_id=str(next(_deliveries)),
                text=text,
                payload=payload,
                shared_phone=phone,
                language_hint=self.language,
            )
        )
        self.seen = replies
        return replies

    async def press(self, label_part: str) -> list[Reply]:
        return await self.send(payload=self.payload(label_part))

    def payload(self, label_part: str) -> str:
        for reply in self.seen:
            for row in reply.buttons:
                for button in row:
                    if label_part in button.label:
                        return button.payload
        raise AssertionError(f"no button {label_part!r} in {self.buttons()}")

    def buttons(self) -> list[str]:
        return [b.label for r in self.seen for row in r.buttons for b in row]

    def first_button(self, prefix: str) -> str:
        for reply in self.seen:
            for row in reply.buttons:
                for button in row:
                    if button.payload.split("|")[-1].startswith(prefix):
                        return button.payload
        raise AssertionError(f"no button with action {prefix!r} in {self.buttons()}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.seen)


class Recording:
    """The real Dialog, with what it was handed kept for the assertions."""

    def __init__(self, inner: Dialog) -> None:
        self.inner = inner
        self.services = inner.services
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        return await self.inner.handle(incoming)
