from core.actors import Actor
from core.booking import BookingService
from core.placement import VisitRequest
from core.search import SlotQuery, SlotSearch
from core.vocab import Channel
from tests.factories import adult, small_clinic


async def test_find_and_book(db, clock):
    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    free = await SlotSearch(db, clock).find(SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id))
    assert len(free) == 5
    b = await BookingService(db, clock).book(
        Actor.patient(pid, Channel.TELEGRAM),
        VisitRequest(pid, c.consult.id, free[0].doctor_id, free[0].start_at),
    )
    again = await SlotSearch(db, clock).find(SlotQuery(channel=Channel.TELEGRAM, service_id=c.consult.id))
    assert again[0].start_at == free[1].start_at
    assert b.id
