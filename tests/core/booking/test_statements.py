"""A booking's round trips: at most six statements on the hot path, on both databases."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.vocab import Channel
from testkit.factories import adult, small_clinic
from testkit.statements import statements_sent

WARSAW = ZoneInfo("Europe/Warsaw")


async def test_a_booking_is_six_statements(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    at = datetime.combine(clock.now().date() + timedelta(days=1), time(9, 0), tzinfo=WARSAW)
    with statements_sent(db.engine) as sent:
        await BookingService(db, clock).book(
            Actor.patient(pid, Channel.TELEGRAM),
            VisitRequest(pid, c.consult.id, c.internist.id, at),
        )
    # One read (service, patient), one of slots, branch and the doctor's service; the
    # booking, its cells, its change and its event: no expired hold was in the way.
    assert len(sent) == 6, sent
