"""The eligibility gate a booking passes: the port a paying partner answers through.

Booking owns the port and the partners' side implements it
(`core.partners.eligibility.Eligibility`), so the engine asks a payer without
knowing which one, and `core.booking` never imports `core.partners`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class EligibilityGate(Protocol):
    """Asked before every booking a patient or the desk makes (a new visit, a move, a
    restore, a waiting-list offer taken): raises `NotEligible` when the payer does not
    cover it. A partner's own bookings are not asked: the partner booked them."""

    async def verify(self, patient_id: int, service_id: int, start_at: datetime) -> None: ...
