"""The engine's vocabulary: channels, availability, statuses and who acts."""

from __future__ import annotations

from enum import IntFlag, StrEnum

from core.errors import InvalidInput


class Channel(StrEnum):
    """Where a request comes from: a patient's channel, the desk, a partner or the engine."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    SMS = "sms"  # outbound only: reminders and notifications by text message
    VOICE = "voice"
    WEB = "web"
    STAFF = "staff"
    ZNANYLEKARZ = "znanylekarz"
    LUXMED = "luxmed"
    ONDOC = "ondoc"
    CER = "cer"  # Centralna e-Rejestracja, Poland's central e-registration (NFZ visits)
    SYSTEM = "system"


class Availability(IntFlag):
    """Who may see and book a slot (seed 000: clinic only, partner only, both).

    Stored as an integer bitmask so a search filters with one `&` in SQL.
    The desk and the engine itself see every slot.
    """

    NONE = 0
    TELEGRAM = 1
    WHATSAPP = 2
    VOICE = 4
    WEB = 8
    ZNANYLEKARZ = 16
    LUXMED = 32
    ONDOC = 64
    CER = 128

    CLINIC = TELEGRAM | WHATSAPP | VOICE | WEB
    PARTNERS = ZNANYLEKARZ | LUXMED | ONDOC | CER
    ALL = CLINIC | PARTNERS

    @classmethod
    def for_channel(cls, channel: Channel) -> Availability:
        """The bit a channel needs on a slot; the desk and the system need none."""
        if channel in (Channel.STAFF, Channel.SYSTEM):
            return cls.NONE
        return cls[channel.name]


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def active(self) -> bool:
        """An active booking occupies its doctor's and room's time."""
        return self not in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)


# Which status may follow which; cancelling and restoring have their own operations.
STATUS_FLOW: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.BOOKED: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.ARRIVED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.ARRIVED, BookingStatus.NO_SHOW}),
    BookingStatus.ARRIVED: frozenset({BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED}),
    BookingStatus.IN_PROGRESS: frozenset({BookingStatus.COMPLETED}),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
}


class CommunicationStatus(StrEnum):
    """What the patient has been told about a booking (seed 002's mailing statuses)."""

    NONE = "none"
    CONFIRMATION_SENT = "confirmation_sent"
    REMINDER_SENT = "reminder_sent"
    CONFIRMED_BY_PATIENT = "confirmed_by_patient"
    DELIVERY_FAILED = "delivery_failed"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class CareRelation(StrEnum):
    """Why one card is in another's care: a child, or an adult under care (a ward)."""

    CHILD = "child"
    WARD = "ward"


class ServiceMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class ContactKind(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"  # a browser chat session (the demo chat)


class ActorKind(StrEnum):
    """Who made a change, for the booking's history."""

    PATIENT = "patient"
    STAFF = "staff"
    PARTNER = "partner"
    SYSTEM = "system"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    GONE = "gone"
    EXPIRED = "expired"


class EscalationStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    CLOSED = "closed"


class EventKind(StrEnum):
    """Domain events written to the outbox in the same transaction as the change."""

    BOOKED = "booking.booked"
    MOVED = "booking.moved"
    CANCELLED = "booking.cancelled"
    RESTORED = "booking.restored"
    STATUS_CHANGED = "booking.status_changed"
    SLOT_FREED = "slot.freed"
    WAITLIST_OFFERED = "waitlist.offered"
    WAITLIST_OFFER_GONE = "waitlist.offer_gone"
    SCHEDULE_CONFLICT = "schedule.conflict"
    ESCALATION_OPENED = "escalation.opened"
    ESCALATION_REPLY = "escalation.reply"
    PARTNER_CONFLICT = "partner.conflict"  # a partner booked a time taken here: staff look
    PARTNER_MAPPED = "partner.mapped"  # staff mapped one of ours: publish it, send its visits


class RuleKind(StrEnum):
    """When a reminder rule fires (seed 002's automatic mailings)."""

    DAYS_BEFORE = "days_before"  # N days before the visit, at a local time
    MINUTES_BEFORE = "minutes_before"  # N minutes before the visit
    AFTER_STATUS = "after_status"  # N minutes after the booking's status became X
    AFTER_SERVICE = "after_service"  # N days after a completed visit for one of some services
    BIRTHDAY = "birthday"  # on (or N days before) the birthday, at a local time
    EVENT = "event"  # raised by staff or an integration: lab result ready, card issued


class PatientEvent(StrEnum):
    """Events about a patient that staff or an integration raise through the core."""

    LAB_RESULT_READY = "lab_result_ready"
    DISCOUNT_CARD_ISSUED = "discount_card_issued"


class DocumentKind(StrEnum):
    """What a patient's document is (seed 003's kinds, in the words patients know)."""

    LAB_RESULT = "lab_result"
    DIAGNOSTIC_RESULT = "diagnostic_result"
    VISIT_SUMMARY = "visit_summary"
    REFERRAL = "referral"
    DISCHARGE = "discharge"
    PRESCRIPTION = "prescription"
    OTHER = "other"


class GranteeKind(StrEnum):
    """Who a patient lets see their documents."""

    FAMILY = "family"
    DOCTOR = "doctor"  # a doctor outside the clinic


class GrantSource(StrEnum):
    BOT = "bot"  # the patient, in a messenger
    PAPER = "paper"  # signed at the desk, recorded by a staff member


class OpenerKind(StrEnum):
    """Who opened a document, for the access log."""

    PATIENT = "patient"
    GRANTEE = "grantee"
    STAFF = "staff"


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waits for its time (or for a retry)
    CLAIMED = "claimed"  # taken by a worker until its lease ends; not yet handed to a provider
    SENDING = "sending"  # being handed to a provider: if the worker dies now, it is in doubt
    SENT = "sent"
    FAILED = "failed"  # every channel refused for good, or retries ran out
    SKIPPED = "skipped"  # no longer true (visit cancelled or moved, offer gone, past)
    IN_DOUBT = "in_doubt"  # a worker died while sending: maybe delivered, never resent


class DoubtOutcome(StrEnum):
    """How a notification caught mid-send by a crash (`in_doubt`) was settled."""

    CONFIRMED = "confirmed"  # the provider lists it as sent: recorded as sent
    RESENT = "resent"  # the provider lists nothing, or cannot tell and the visit is far: again
    UNRESOLVED = "unresolved"  # nobody can tell and a second message would come too late


class CallOutcome(StrEnum):
    """How a phone call ended, for the desk's reports (the last thing achieved counts)."""

    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    CALLBACK = "callback_requested"
    TASK = "task_left"  # a prescription renewal request for the doctor
    INFORMED = "informed"  # heard the opening hours and address
    DESK = "desk"  # talked to the registration desk
    ABANDONED = "abandoned"  # hung up before anything was done
    TEXTED = "deflected_to_text"  # took a booking link by text message instead of waiting


class LinkOrigin(StrEnum):
    """Where a single-use booking link was sent from (the desk's report groups by it)."""

    CARD = "card"  # the desk, from a patient's card
    CALLBACK = "callback"  # the desk, answering a callback request
    CASE = "case"  # the desk, from an escalated chat
    CAMPAIGN = "campaign"  # a recall campaign to a list
    CALL = "call"  # the phone menu or its queue (call-to-text)
    REPLY = "reply"  # an answer to a patient's text message ("MOVE")


class CallbackReason(StrEnum):
    QUEUE_LONG = "queue_long"  # chose a callback instead of waiting
    AFTER_HOURS = "after_hours"  # asked for the desk while it was closed
    DESK_BUSY = "desk_busy"  # the queue was full or failed
    MISSED = "missed"  # hung up while waiting in the queue


class CallbackStatus(StrEnum):
    OPEN = "open"  # waiting, or taken by a member (`taken_by`) who is calling back
    DONE = "done"


class CallbackOutcome(StrEnum):
    """What calling the number back gave."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"


class TaskKind(StrEnum):
    """Work the machine leaves for the staff."""

    PRESCRIPTION = "prescription_renewal"
    COMPLETE_CARD = "complete_card"  # a caller booked by phone with a spoken name


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class StaffRole(StrEnum):
    """What a staff member may do: admin everything, registrar their branches, doctor
    their own schedule."""

    ADMIN = "admin"
    REGISTRAR = "registrar"
    DOCTOR = "doctor"


class PartnerOpKind(StrEnum):
    """What an operation owed to a partner does there."""

    BOOK = "book"
    MOVE = "move"
    CANCEL = "cancel"
    COMPLETE = "complete"  # a finished visit, reported (LUX MED)
    PUBLISH_SLOTS = "publish_slots"  # one doctor's free time on one local day


class PartnerOpStatus(StrEnum):
    PENDING = "pending"  # due at `next_attempt_at` (first try or a retry)
    CLAIMED = "claimed"  # a worker holds it until its lease ends
    DONE = "done"
    FAILED = "failed"  # the partner refused it for good: staff retry or discard it
    DISCARDED = "discarded"  # staff gave it up
    SKIPPED = "skipped"  # nothing to do (it came from that partner, or is moot now)


class MappingKind(StrEnum):
    """What of ours a partner mapping names (seed 001: services, price lists, branches,
    doctors; a Docplanner doctor is the address its calendar lives at)."""

    DOCTOR = "doctor"
    SERVICE = "service"
    BRANCH = "branch"
    PATIENT = "patient"  # a card linked to the partner's patient account (ONDOC)


# Which contact on a card a chat of each channel is recorded as.
CHAT_CONTACTS = {
    Channel.TELEGRAM: ContactKind.TELEGRAM,
    Channel.WHATSAPP: ContactKind.WHATSAPP,
    Channel.WEB: ContactKind.WEB,
}


def contact_kind(channel: Channel) -> ContactKind:
    try:
        return CHAT_CONTACTS[channel]
    except KeyError:
        raise InvalidInput("this channel has no chats to link") from None
