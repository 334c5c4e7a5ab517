"""Eligibility for services a partner pays for (LUX MED subscriptions, seed 000).

A service mapped to such a partner is booked only for a patient with a PESEL whom
the partner confirms, asked at the moment of booking. A refusal is a `NotEligible`
with a stable reason every channel words for the patient (and the partner's own
message for staff); a partner that cannot answer now refuses too ("unverified"):
a visit the payer may reject is worse than a patient asked to try again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.errors import NotEligible
from core.models import PartnerMapping, Patient
from core.partners.port import PartnerRefused, PartnerUnavailable
from core.vocab import Channel, MappingKind


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reason: str = ""  # not_covered, ...: the partner's code, mapped by the adapter
    message: str = ""  # the partner's words, for staff


class EligibilityChecker(Protocol):
    async def check(self, pesel: str, service: str, start_at: datetime) -> Verdict:
        """Whether the partner covers this visit. Raises `PartnerUnavailable`."""
        ...


class Eligibility:
    """Asks the paying partner before a booking on one of its services."""

    def __init__(self, db: Database, checkers: Mapping[Channel, EligibilityChecker]) -> None:
        self.db = db
        self.checkers = checkers

    async def verify(self, patient_id: int, service_id: int, start_at: datetime) -> None:
        """Nothing if the visit may be booked; `NotEligible` with the reason if not."""
        if not self.checkers:
            return
        async with self.db.read() as session:
            payers = (
                await session.execute(
                    select(col(PartnerMapping.partner), col(PartnerMapping.remote_id)).where(
                        col(PartnerMapping.kind) == MappingKind.SERVICE,
                        col(PartnerMapping.local_id) == service_id,
                        col(PartnerMapping.partner).in_(list(self.checkers)),
                    )
                )
            ).all()
            patient = await session.get(Patient, patient_id) if payers else None
        for partner, remote_service in payers:
            if patient is None or not patient.pesel:
                raise NotEligible("a PESEL is required for this service", reason="pesel_required")
            try:
                verdict = await self.checkers[partner].check(
                    patient.pesel, remote_service, start_at
                )
            except (PartnerUnavailable, PartnerRefused) as exc:
                raise NotEligible(
                    "eligibility could not be verified",
                    reason="unverified",
                    partner_message=str(exc),
                ) from None
            if not verdict.eligible:
                raise NotEligible(
                    "the partner does not cover this visit",
                    reason=verdict.reason or "not_covered",
                    partner_message=verdict.message,
                )
