"""The statements one booking sends on the hot path, counted on the benchmark's database.

A free slot of a doctor the contention runs leave alone, a patient of its own,
one `BookingService.book` as that patient in the chat: the count is what every
booking of the contention tables sent when nothing was in its way.
"""

from __future__ import annotations

from bench.dataset import NOW, Roster
from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import Channel
from testkit.statements import statements_sent

CHANNEL = Channel.TELEGRAM


async def booking_statements(url: str, roster: Roster) -> list[str]:
    """The first line of each statement of one uncontended booking, in order."""
    db = Database.from_url(url)
    try:
        clock = FrozenClock(NOW)
        doctor = roster.doctors[-1]
        service = roster.primary[doctor]
        patient = roster.patients[-1]
        query = SlotQuery(CHANNEL, service_id=service, doctor_id=doctor, limit=1)
        (free,) = await SlotSearch(db, clock).find(query)
        request = VisitRequest(patient, service, doctor, free.start_at)
        with statements_sent(db.engine) as sent:
            await BookingService(db, clock).book(Actor.patient(patient, CHANNEL), request)
        return sent
    finally:
        await db.dispose()
