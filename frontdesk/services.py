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
from core.desk.booking_grid import BookingGrid
from core.desk.booking_search import BookingSearch
from core.desk.bookings import StaffBookings
from core.desk.card_merge import CardReview
from core.desk.inbox import Inbox
from core.desk.link_sending import DeskLinks
from core.desk.lists import DeskLists
from core.desk.no_shows import NoShows
from core.desk.patient_card import PatientCards
from core.desk.patient_records import PatientRecords
from core.documents.consents import ConsentRegister
from core.documents.files import UploadLimits
from core.documents.folder import FolderStore
from core.documents.links import DocumentLinks
from core.documents.service import DocumentService
from core.messaging.booking_links import BookingLinks
from core.messaging.chats import ConversationStore
from core.messaging.escalation import EscalationService
from core.messaging.link_tokens import LinkSigner
from core.messaging.reminder_rules import ReminderRules
from core.messaging.sms_replies import SmsReplies
from core.partners.desk import PartnerDesk
from core.partners.direct import DirectBooking
from core.partners.inbox import PartnerInbox
from core.partners.port import PartnerClient
from core.patients.cards import PatientService
from core.patients.care import CareService
from core.patients.linking import LinkingService
from core.patients.phones import PhoneCards
from core.quiet import QuietHours
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
    booking_grid: BookingGrid
    patient_cards: PatientCards
    card_review: CardReview
    inbox: Inbox
    reminder_rules: ReminderRules
    catalog_names: CatalogNames
    call_reports: CallReports
    partner_desk: PartnerDesk
    partner_inbox: PartnerInbox
    direct: DirectBooking  # partners booking through the FHIR API
    feed: FeedService
    booking_links: BookingLinks
    desk_links: DeskLinks
    phone_cards: PhoneCards
    no_shows: NoShows
    documents: DocumentService
    consents: ConsentRegister
    document_links: DocumentLinks
    calendar_links: CalendarLinks | None = None
    sms_replies: SmsReplies | None = None
    public_base_url: str | None = None
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
            documents=self.documents,
            consents=self.consents,
            document_links=self.document_links,
            public_base_url=self.public_base_url,
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
            care=self.care,
            calls=self.calls,
            callers=Callers(self.db, self.clock),
            callbacks=self.callbacks,
            tasks=self.tasks,
            policy=policy,
            confirmations=confirmations,
            links=self.booking_links,
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
        batch_delay=timedelta(minutes=settings.waitlist_batch_minutes),
        cutoff=timedelta(minutes=settings.waitlist_cutoff_minutes),
        quiet=QuietHours(settings.quiet_hours_start, settings.quiet_hours_end),
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
    patients = PatientService(db, clock)
    booking_links = BookingLinks(
        db,
        clock,
        LinkSigner(secret, settings.link_base_url()),
        booking,
        patients,
        ttl=timedelta(days=settings.booking_link_days),
    )
    store = FolderStore(settings.documents_dir)
    rules = ReminderRules(db, clock)
    documents = DocumentService(
        db, clock, store, rules, UploadLimits(max_bytes=settings.document_max_mb * 1024 * 1024)
    )
    return Services(
        db=db,
        clock=clock,
        catalog=Catalog(db),
        search=SlotSearch(db, clock),
        booking=booking,
        patients=patients,
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
        booking_grid=BookingGrid(db, BookingSearch(db)),
        patient_cards=PatientCards(db, BookingSearch(db)),
        card_review=CardReview(db, clock),
        records=PatientRecords(db, clock, booking, waitlist, documents),
        inbox=Inbox(db),
        reminder_rules=rules,
        catalog_names=CatalogNames(db),
        call_reports=CallReports(db),
        partner_desk=PartnerDesk(db, clock),
        partner_inbox=PartnerInbox(db, clock, booking, partners),
        direct=DirectBooking(db, clock, booking),
        feed=FeedService(db, clock),
        booking_links=booking_links,
        desk_links=DeskLinks(db, booking_links),
        phone_cards=PhoneCards(db),
        no_shows=NoShows(db),
        calendar_links=links,
        sms_replies=SmsReplies(db, clock, policy, booking_links),
        documents=documents,
        consents=ConsentRegister(db, clock),
        document_links=DocumentLinks(db, clock, store, secret),
        public_base_url=settings.public_base_url,
        privacy_url=settings.privacy_notice_url,
    )
