"""The engine's services built once from settings: shared by the web app and the worker."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.calendar import CalendarLinks
from bot.courier import Courier
from bot.dialog import BotServices
from core.booking.gate import EligibilityGate
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.booking.waitlist_offers import WaitlistPolicy
from core.calls.callbacks import CallbackService
from core.calls.store import CallStore
from core.calls.tasks import TaskService
from core.clinic.catalog import Catalog
from core.clock import Clock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.patients.cards import PatientService
from core.patients.linking import LinkingService
from core.schedule.search import SlotSearch
from core.schedule.templates import ScheduleService
from frontdesk.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """One database, one clock, and every core service over them."""

    db: Database
    clock: Clock
    catalog: Catalog
    search: SlotSearch
    booking: BookingService
    patients: PatientService
    waitlist: WaitlistService
    schedule: ScheduleService
    linking: LinkingService
    escalation: EscalationService
    conversations: ConversationStore
    courier: Courier
    staff: StaffAccounts
    calls: CallStore
    callbacks: CallbackService
    tasks: TaskService
    calendar_links: CalendarLinks | None = None

    def bot(self) -> BotServices:
        """What the messenger dialog needs of them."""
        return BotServices(
            clock=self.clock,
            catalog=self.catalog,
            search=self.search,
            booking=self.booking,
            patients=self.patients,
            waitlist=self.waitlist,
            linking=self.linking,
            escalation=self.escalation,
            conversations=self.conversations,
            courier=self.courier,
            calendar_links=self.calendar_links,
        )


def build_services(
    db: Database, clock: Clock, settings: Settings, eligibility: EligibilityGate | None = None
) -> Services:
    """Wire the core services with the policy numbers from the settings; `eligibility`
    asks paying partners (LUX MED) before a booking on their services."""
    policy = WaitlistPolicy(
        offer_ttl=timedelta(minutes=settings.waitlist_offer_minutes),
        fan_out=settings.waitlist_fan_out,
    )
    secret = secret_bytes(settings)
    links = CalendarLinks(settings.public_base_url, secret) if settings.public_base_url else None
    return Services(
        db=db,
        clock=clock,
        catalog=Catalog(db),
        search=SlotSearch(db, clock),
        booking=BookingService(
            db,
            clock,
            hold_ttl=timedelta(minutes=settings.hold_minutes),
            waitlist=policy,
            eligibility=eligibility,
        ),
        patients=PatientService(db, clock),
        waitlist=WaitlistService(db, clock, policy, eligibility=eligibility),
        schedule=ScheduleService(db, clock),
        linking=LinkingService(db, clock, secret),
        escalation=EscalationService(db, clock),
        conversations=ConversationStore(db, clock),
        courier=Courier(),
        staff=StaffAccounts(db, clock),
        calls=CallStore(db, clock),
        callbacks=CallbackService(db, clock),
        tasks=TaskService(db, clock),
        calendar_links=links,
    )


def secret_bytes(settings: Settings) -> bytes:
    """SECRET_KEY, or for a single demo process a random key that lives in memory only
    (linking codes then stop working at restart: set SECRET_KEY in production)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    log.warning("SECRET_KEY is not set: using a random key for this process only")
    return secrets.token_bytes(32)
