"""The engine's services built once from settings: shared by the web app and the worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.calendar import CalendarLinks
from bot.courier import Courier
from bot.turn import BotServices
from core.booking.gate import EligibilityGate
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.booking.waitlist_offers import WaitlistPolicy
from core.calls.callbacks import CallbackService
from core.calls.reports import CallReports
from core.calls.store import Callers, CallStore
from core.calls.tasks import TaskService
from core.clinic.catalog import Catalog
from core.clinic.translations import CatalogNames
from core.clock import Clock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.desk.booking_search import BookingSearch
from core.desk.bookings import StaffBookings
from core.desk.inbox import Inbox
from core.desk.lists import DeskLists
from core.desk.patient_records import PatientRecords
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.messaging.reminder_rules import ReminderRules
from core.partners.desk import PartnerDesk
from core.partners.inbox import PartnerInbox
from core.partners.port import PartnerClient
from core.patients.cards import PatientService
from core.patients.care import CareService
from core.patients.linking import LinkingService
from core.schedule.feed import FeedService
from core.schedule.search import SlotSearch
from core.schedule.templates import ScheduleService
from core.vocab import Channel
from frontdesk.settings import Settings
from ivr.directory import CachedCatalog
from ivr.turn import Confirmations, IvrPolicy, IvrServices


@dataclass(frozen=True)
class Services:
    """One database, one clock, and every core service over them."""

    db: Database
    clock: Clock
    catalog: Catalog
    search: SlotSearch
    booking: BookingService
    patients: PatientService
    care: CareService
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
    # what the desk's API and dashboard work through
    lists: DeskLists
    staff_bookings: StaffBookings
    records: PatientRecords
    inbox: Inbox
    reminder_rules: ReminderRules
    catalog_names: CatalogNames
    call_reports: CallReports
    partner_desk: PartnerDesk
    partner_inbox: PartnerInbox
    feed: FeedService
    calendar_links: CalendarLinks | None = None
    privacy_url: str | None = None  # the full information notice the chat links to

    def bot(self) -> BotServices:
        """What the messenger dialog needs of them."""
        return BotServices(
            clock=self.clock,
            catalog=self.catalog,
            search=self.search,
            booking=self.booking,
            patients=self.patients,
            care=self.care,
            waitlist=self.waitlist,
            linking=self.linking,
            escalation=self.escalation,
            conversations=self.conversations,
            courier=self.courier,
            calendar_links=self.calendar_links,
            privacy_url=self.privacy_url,
        )

    def voice(self, policy: IvrPolicy, confirmations: Confirmations) -> IvrServices:
        """What the phone menu needs of them (its catalog cached between calls)."""
        return IvrServices(
            clock=self.clock,
            catalog=CachedCatalog(self.db),
            search=self.search,
            booking=self.booking,
            patients=self.patients,
            calls=self.calls,
            callers=Callers(self.db, self.clock),
            callbacks=self.callbacks,
            tasks=self.tasks,
            policy=policy,
            confirmations=confirmations,
        )


def build_services(
    db: Database,
    clock: Clock,
    settings: Settings,
    eligibility: EligibilityGate | None = None,
    partners: Mapping[Channel, PartnerClient] | None = None,
) -> Services:
    """Wire the core services with the policy numbers from the settings; `eligibility`
    asks paying partners (LUX MED) before a booking on their services; `partners` put
    their notices in the ids the mappings know."""
    policy = WaitlistPolicy(
        offer_ttl=timedelta(minutes=settings.waitlist_offer_minutes),
        fan_out=settings.waitlist_fan_out,
    )
    secret = settings.secret_bytes()
    links = CalendarLinks(settings.public_base_url, secret) if settings.public_base_url else None
    booking = BookingService(
        db,
        clock,
        hold_ttl=timedelta(minutes=settings.hold_minutes),
        waitlist=policy,
        eligibility=eligibility,
    )
    waitlist = WaitlistService(db, clock, policy, eligibility=eligibility)
    staff = StaffAccounts(db, clock)
    return Services(
        db=db,
        clock=clock,
        catalog=Catalog(db),
        search=SlotSearch(db, clock),
        booking=booking,
        patients=PatientService(db, clock),
        care=CareService(db, clock),
        waitlist=waitlist,
        schedule=ScheduleService(db, clock),
        linking=LinkingService(db, clock, secret),
        escalation=EscalationService(db, clock),
        conversations=ConversationStore(db, clock),
        courier=Courier(),
        staff=staff,
        calls=CallStore(db, clock),
        callbacks=CallbackService(db, clock),
        tasks=TaskService(db, clock),
        lists=DeskLists(db),
        staff_bookings=StaffBookings(db, booking, BookingSearch(db), staff),
        records=PatientRecords(db, clock, booking, waitlist),
        inbox=Inbox(db),
        reminder_rules=ReminderRules(db, clock),
        catalog_names=CatalogNames(db),
        call_reports=CallReports(db),
        partner_desk=PartnerDesk(db, clock),
        partner_inbox=PartnerInbox(db, clock, booking, partners),
        feed=FeedService(db, clock),
        calendar_links=links,
        privacy_url=settings.privacy_notice_url,
    )
