"""Confirming a held time: the one call both journeys (chat and phone) make when the
patient says yes, booking the time as a new visit or moving a visit to it.

The hold is redeemed by the same transaction. `SlotTaken` or `HoldExpired` pass
through: each face answers them in its own words and goes back to the free times.
"""

from __future__ import annotations

from datetime import datetime

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.models import Booking
from core.vocab import ActorKind


async def confirm_hold(
    booking: BookingService,
    actor: Actor,
    *,
    service_id: int,
    doctor_id: int,
    start_at: datetime,
    hold_token: str | None,
    move: int | None = None,
    e_referral: str | None = None,
    for_patient: int | None = None,
) -> Booking:
    """The held time, booked for the patient acting (or `for_patient`, a card in their
    care) as a new visit of `service_id`, or, with `move`, that visit moved there (its
    service kept)."""
    assert actor.kind is ActorKind.PATIENT, "a patient confirms their own hold"
    if move is not None:
        return await booking.reschedule(
            actor, move, doctor_id=doctor_id, start_at=start_at, hold_token=hold_token
        )
    return await booking.book(
        actor,
        VisitRequest(
            for_patient or int(actor.id),
            service_id,
            doctor_id,
            start_at,
            hold_token=hold_token,
            e_referral=e_referral,
        ),
    )
