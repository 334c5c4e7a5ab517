"""Domain errors with stable codes: each face translates them once (chat text, TwiML, HTTP)."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the engine raises on purpose; `code` never changes."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class SlotTaken(DomainError):
    code = "slot_taken"


class OutsideAvailability(DomainError):
    code = "outside_availability"


class RestrictionViolated(DomainError):
    """A service restriction (sex, age, referral) rules the patient out; `reason` says which."""

    code = "restriction_violated"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class HoldExpired(DomainError):
    code = "hold_expired"


class PeselInvalid(DomainError):
    code = "pesel_invalid"


class PhoneInvalid(DomainError):
    code = "phone_invalid"


class EmailInvalid(DomainError):
    code = "email_invalid"


class ScheduleInvalid(DomainError):
    code = "schedule_invalid"


class OfferGone(DomainError):
    code = "offer_gone"


class Throttled(DomainError):
    """Too many attempts in a short time (code guessing, code requests)."""

    code = "throttled"


class LinkCodeInvalid(DomainError):
    """Wrong, expired or used linking code: one answer for all, so nothing is revealed."""

    code = "link_code_invalid"


class BookingLinkInvalid(DomainError):
    """A booking link that is forged, expired or already used (`reason` says which, for a
    polite page; none of them reveals anything about the patient)."""

    code = "booking_link_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"booking link {reason}")
        self.reason = reason


class ConcurrentUpdate(DomainError):
    """Someone else changed the record meanwhile; the caller may retry with fresh data."""

    code = "concurrent_update"


class TemplateInvalid(DomainError):
    """A message template does not parse or names a parameter that does not exist."""

    code = "template_invalid"


class AuthenticationFailed(DomainError):
    """Wrong login or password, or an unknown or revoked token: one answer for all."""

    code = "authentication_failed"


class Forbidden(DomainError):
    """The staff member is known but their role or scope does not allow this."""

    code = "forbidden"


class NotEligible(DomainError):
    """The partner that pays for the service does not cover this patient (LUX MED);
    `reason`: pesel_required, not_covered or unverified; `partner_message`, theirs."""

    code = "not_eligible"


class EReferralInvalid(DomainError):
    """Not an e-referral's number: a 4-digit code with the patient's PESEL, or the
    referral's 22-digit number or 44-digit key (core/booking/ereferral.py)."""

    code = "e_referral_invalid"


class AlreadyBooked(DomainError):
    """The clinic allows one future visit per patient and service, and this patient has
    one: `booking_id`, `start_at` and its branch's `timezone` name it."""

    code = "already_booked"
