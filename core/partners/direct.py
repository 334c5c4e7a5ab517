"""A partner booking through our own scheduling API (the FHIR face, frontdesk/fhir/):
holds, bookings and cancellations as the partner's actor, through the same operations
as the chat's, and only ever on what that partner made.

A booking's patient is matched or given a card flagged for verification
(core/patients/arrivals.py) in the booking's own transaction, so a refused booking
leaves no card behind. A booking's `source` and a hold's `channel` never change, so
reading them before acting on the row decides whose it is for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest, place_booking
from core.booking.service import BookingService, HoldTicket
from core.clock import Clock
from core.db.database import Database
from core.errors import HoldExpired, InvalidInput, NotFound
from core.models import Booking, Hold
from core.patients.arrivals import Arrival, card_for
from core.vocab import Channel


@dataclass(frozen=True)
class Visit:
    """What a partner books: a service with a doctor at a time, or the time it holds."""

    service_id: int
    doctor_id: int
    start_at: datetime
    hold_token: str | None = None
    referral: str | None = None


class DirectBooking:
    def __init__(self, db: Database, clock: Clock, booking: BookingService) -> None:
        self.db = db
        self.clock = clock
        self.booking = booking

    async def hold(
        self, partner: Channel, service_id: int, doctor_id: int, start_at: datetime
    ) -> HoldTicket:
        """The chat's hold, for the partner's channel (its slots, its hold length)."""
        Actor.partner(partner)  # a partner, or ValueError
        return await self.booking.hold(partner, service_id, doctor_id, start_at)

    async def held(self, partner: Channel, token: str) -> Hold:
        """The partner's live hold; `NotFound` for another's or none, `HoldExpired` once
        its time is up."""
        async with self.db.read() as session:
            hold = await _hold_of(session, partner, token)
        if hold.expires_at <= self.clock.now():
            raise HoldExpired("the hold has expired")
        return hold

    async def release(self, partner: Channel, token: str) -> None:
        """Give the partner's hold back at once (cancelling a held appointment)."""
        async with self.db.read() as session:
            await _hold_of(session, partner, token)
        await self.booking.release(token)

    async def book(self, partner: Channel, patient: Arrival, visit: Visit) -> Booking:
        """The visit booked for the patient (matched or new), the hold redeemed, in one
        transaction; an expired hold is `HoldExpired` even while nobody took its time."""
        now = self.clock.now()
        actor = Actor.partner(partner)
        if visit.start_at.tzinfo is None:
            raise InvalidInput("a time without its zone")
        if visit.start_at < now:
            raise InvalidInput("that time has passed")

        async def work(session: AsyncSession) -> Booking:
            if visit.hold_token is not None:
                hold = await _hold_of(session, partner, visit.hold_token, lock=True)
                if hold.expires_at <= now:
                    raise HoldExpired("the hold has expired")
            patient_id = await card_for(session, patient, now)
            request = VisitRequest(
                patient_id,
                visit.service_id,
                visit.doctor_id,
                visit.start_at,
                referral=visit.referral,
                hold_token=visit.hold_token,
            )
            return await place_booking(session, actor, request, now)

        return await self.db.write(work)

    async def get(self, partner: Channel, booking_id: int) -> Booking:
        """A booking the partner made; any other is `NotFound`."""
        async with self.db.read() as session:
            booking = await session.get(Booking, booking_id)
        if booking is None or booking.source != partner:
            raise NotFound("no such appointment")
        return booking

    async def cancel(self, partner: Channel, booking_id: int, reason: str) -> Booking:
        """The chat's cancellation, of a booking the partner made."""
        await self.get(partner, booking_id)
        return await self.booking.cancel(Actor.partner(partner), booking_id, reason)


async def _hold_of(
    session: AsyncSession, partner: Channel, token: str, *, lock: bool = False
) -> Hold:
    query = select(Hold).where(col(Hold.token) == token)
    hold = (await session.execute(query.with_for_update() if lock else query)).scalar()
    if hold is None or hold.channel != partner:
        raise NotFound("no such hold")
    return hold
