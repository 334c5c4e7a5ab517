"""The dialog: one entry point for every channel, `Dialog.handle(Incoming) -> [Reply]`.

(Work in progress: the journeys land in `bot/flows/`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat import Button, Incoming, Reply
from core.booking import BookingService
from core.catalog import Catalog
from core.clock import Clock
from core.conversations import ConversationStore
from core.escalation import EscalationService
from core.linking import LinkingService
from core.patients import PatientService
from core.search import SlotSearch
from core.waitlist import WaitlistService


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


class Dialog:
    def __init__(self, services: BotServices) -> None:
        self.services = services

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one patient action; a redelivered action gets none."""
        if not await self.services.conversations.first_delivery(
            incoming.channel, incoming.delivery_id
        ):
            return []
        return [Reply("Dzień dobry!", ((Button("Umów wizytę", "m:book"),),))]
