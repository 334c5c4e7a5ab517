"""The phone's goals in call time (testkit/call_time.py: what the caller hears until they
can answer, and their answers): a known caller books the earliest visit in at most 60 s,
a new caller in at most 90 s."""

from __future__ import annotations

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from testkit.call_time import TimedCall
from testkit.factories import SmallClinic, adult, warsaw_at
from testkit.ivr import BORN, CALLER, Client

KNOWN_GOAL_SECONDS = 60
NEW_GOAL_SECONDS = 90


async def known_caller(client: Client, db: Database, clock: FrozenClock) -> float:
    await adult(db, clock)
    call = TimedCall(client, caller=CALLER)
    await call.dial()
    await call.press("1")  # book
    await call.press(BORN)
    await call.press("1")  # internal medicine
    await call.press("1")  # a consultation
    await call.press("1")  # the earliest time: take it
    await call.press("1")  # confirm
    assert "zarezerwowana" in call.said()
    return call.ended()


async def new_caller(client: Client) -> float:
    call = TimedCall(client, caller="+48600700800")
    await call.dial()
    await call.press("1")  # book
    await call.say("Jan Nowicki")
    await call.press("24051987")
    await call.press("1")  # internal medicine
    await call.press("1")  # a consultation
    await call.press("1")  # the earliest time: take it
    await call.press("1")  # confirm
    assert "zarezerwowana" in call.said()
    return call.ended()


async def test_a_known_caller_books_the_earliest_visit_within_the_goal(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    seconds = await known_caller(client, db, clock)
    print(f"known caller: {seconds} s")
    assert seconds <= KNOWN_GOAL_SECONDS


async def test_a_new_caller_books_the_earliest_visit_within_the_goal(
    client: Client, clinic: SmallClinic
) -> None:
    seconds = await new_caller(client)
    print(f"new caller: {seconds} s")
    assert seconds <= NEW_GOAL_SECONDS


async def test_a_returning_caller_has_a_key_for_the_earliest_visit_of_their_last_service(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    patient_id = await adult(db, clock)
    assert clinic.long_consult.id is not None
    assert clinic.internist.id is not None
    await BookingService(db, clock).book(
        Actor.staff("desk"),
        VisitRequest(
            patient_id, clinic.long_consult.id, clinic.internist.id, warsaw_at(clock, 1, 9)
        ),
    )
    call = TimedCall(client, caller=CALLER)
    await call.dial()
    await call.press("1")
    await call.press(BORN)
    assert call.gather().find("Say") is not None
    first_option = [s.text or "" for s in call.gather().iter("Say")][1]
    assert "Konsultacja rozszerzona" in first_option  # read first, under 0
    await call.press("0")
    assert "Najbliższy wolny termin" in call.said()
    await call.press("1")
    await call.press("1")
    assert "zarezerwowana" in call.said()
    seconds = call.ended()
    print(f"returning caller: {seconds} s")
    assert seconds <= KNOWN_GOAL_SECONDS
