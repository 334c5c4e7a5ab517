"""Every table of the engine; importing this package fills `SQLModel.metadata`."""

from core.models.booking import Booking, BookingChange, Hold, Occupancy, OutboxEvent
from core.models.booking_links import BookingLink, RecallCampaign
from core.models.calls import Call, CallbackRequest, StaffTask
from core.models.clinic import (
    Branch,
    Clinic,
    Doctor,
    DoctorLanguage,
    DoctorService,
    DoctorSpecialty,
    Room,
    Service,
    Specialty,
)
from core.models.documents import (
    Document,
    DocumentAccess,
    DocumentGrant,
    DocumentLink,
    DocumentRetention,
)
from core.models.messaging import (
    ChatTurn,
    Conversation,
    Escalation,
    EscalationMessage,
    InboundMessage,
    LinkCode,
    MessagingConsent,
    PrivacyNotice,
    Throttle,
)
from core.models.partners import (
    PartnerBooking,
    PartnerCursor,
    PartnerMapping,
    PartnerNotification,
    PartnerOperation,
)
from core.models.patient import Contact, Guardianship, Patient
from core.models.reminders import Notification, ReminderRule
from core.models.schedule import Absence, ScheduleBreak, ScheduleConflict, ScheduleTemplate, Slot
from core.models.staff import ApiToken, StaffBranch, StaffMember
from core.models.waitlist import WaitlistEntry, WaitlistOffer

__all__ = [
    "Absence",
    "ApiToken",
    "Booking",
    "BookingChange",
    "BookingLink",
    "Branch",
    "Call",
    "CallbackRequest",
    "ChatTurn",
    "Clinic",
    "Contact",
    "Conversation",
    "Doctor",
    "DoctorLanguage",
    "DoctorService",
    "DoctorSpecialty",
    "Document",
    "DocumentAccess",
    "DocumentGrant",
    "DocumentLink",
    "DocumentRetention",
    "Escalation",
    "EscalationMessage",
    "Guardianship",
    "Hold",
    "InboundMessage",
    "LinkCode",
    "MessagingConsent",
    "Notification",
    "Occupancy",
    "OutboxEvent",
    "PartnerBooking",
    "PartnerCursor",
    "PartnerMapping",
    "PartnerNotification",
    "PartnerOperation",
    "Patient",
    "PrivacyNotice",
    "RecallCampaign",
    "ReminderRule",
    "Room",
    "ScheduleBreak",
    "ScheduleConflict",
    "ScheduleTemplate",
    "Service",
    "Slot",
    "Specialty",
    "StaffBranch",
    "StaffMember",
    "StaffTask",
    "Throttle",
    "WaitlistEntry",
    "WaitlistOffer",
]
