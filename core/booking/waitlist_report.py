"""How much freed time the waiting list filled again: of the visit time that cancellations
freed ahead of the visit, the share booked again from the waiting list (offers accepted,
or booked at once for those who opted in). The desk's measure of the list working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.db.database import Database
from core.models import Booking, WaitlistOffer
from core.vocab import BookingStatus, OfferStatus


@dataclass(frozen=True)
class RefillReport:
    freed_minutes: int  # visit time freed by cancellations made before the visit began
    refilled_minutes: int  # of it, booked again from the waiting list
    freed_visits: int
    refilled_visits: int

    @property
    def share(self) -> float:
        return self.refilled_minutes / self.freed_minutes if self.freed_minutes else 0.0


async def refill_report(db: Database, since: datetime, until: datetime) -> RefillReport:
    """The time freed by cancellations made in [since, until), and how much of it the
    waiting list booked again."""
    async with db.read() as session:
        cancelled = (
            await session.execute(
                select(col(Booking.doctor_id), col(Booking.start_at), col(Booking.end_at)).where(
                    col(Booking.status) == BookingStatus.CANCELLED,
                    col(Booking.cancelled_at) >= since,
                    col(Booking.cancelled_at) < until,
                    col(Booking.cancelled_at) < col(Booking.start_at),
                )
            )
        ).all()
        freed = {(d, s): int((e - s).total_seconds() // 60) for d, s, e in cancelled}
        taken = (
            await session.execute(
                select(
                    col(WaitlistOffer.doctor_id),
                    col(WaitlistOffer.start_at),
                    col(WaitlistOffer.end_at),
                ).where(
                    col(WaitlistOffer.status) == OfferStatus.ACCEPTED,
                    col(WaitlistOffer.created_at) >= since,
                )
            )
        ).all()
    refilled: dict[tuple[int, datetime], int] = {}
    for doctor, start, end in taken:
        key = (doctor, start)
        if key in freed:
            minutes = int((end - start).total_seconds() // 60)
            refilled[key] = min(freed[key], refilled.get(key, 0) + minutes)
    return RefillReport(
        freed_minutes=sum(freed.values()),
        refilled_minutes=sum(refilled.values()),
        freed_visits=len(freed),
        refilled_visits=len(refilled),
    )
