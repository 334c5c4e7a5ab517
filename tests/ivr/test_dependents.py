"""A guardian by phone (ivr/whom.py, ivr/visits.py), end to end with signed Twilio posts on
SQLite and PostgreSQL: for whom a visit is, asked only when it matters and checked
against the service's limits at once; the booking made for the child's card; the
child's visits heard under "my visits" and cancelled there."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from core.patients.cards import PatientDraft, PatientService
from core.vocab import BookingStatus, CareRelation, Channel
from testkit.call_time import TimedCall
from testkit.factories import SmallClinic, adult
from testkit.ivr import BORN, CALLER, Client
from testkit.phone import Phone

# The known caller's path is 53 s (tests/ivr/test_call_time.py, goal 60 s); booking for a
# child adds the one question and the child's name in the confirmation: 61.5 s measured,
# bounded here so the question cannot grow unnoticed.
DEPENDENT_PATH_SECONDS = 62


async def _parent(db: Database, clock: FrozenClock, *born: date) -> tuple[int, list[int]]:
    """The caller's card (CALLER, born BORN) with children of these birth dates."""
    parent = await adult(db, clock)
    names = ("Staś", "Zosia")
    kids = []
    for name, day in zip(names, born, strict=False):
        kid = await PatientService(db, clock).register(
            PatientDraft(first_name=name, last_name="Testowy", birth_date=day),
            in_care_of=(parent, CareRelation.CHILD),
        )
        assert kid.id is not None
        kids.append(kid.id)
    return parent, kids


async def _booked(db: Database) -> Booking:
    async with db.read() as session:
        return (await session.execute(select(Booking))).scalar_one()


async def test_a_caller_without_dependents_hears_nothing_new(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("1")
    await phone.press(BORN)
    await phone.press("1")  # internal medicine
    await phone.press("1")  # a consultation
    assert "Dla kogo" not in " ".join(phone.heard)
    assert "Najbliższy wolny termin" in phone.said()


async def test_a_parent_books_a_consultation_for_the_child_by_key_in_one_short_question(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    parent, (kid,) = await _parent(db, clock, date(2019, 3, 3))
    call = TimedCall(client, caller=CALLER)
    await call.dial()
    await call.press("1")  # book
    await call.press(BORN)
    await call.press("1")  # internal medicine
    await call.press("1")  # a consultation: no limits, so both may have it
    assert "Dla kogo jest wizyta?" in call.said()
    assert "Dla siebie: proszę nacisnąć 1." in call.said()
    assert "Staś: proszę nacisnąć 2." in call.said()
    assert "Testowy" not in call.said()  # the first name is enough
    await call.press("2")
    await call.press("1")  # the earliest time: take it
    assert "Pacjent: Staś" in call.said()
    await call.press("1")  # confirm
    assert "zarezerwowana" in call.said()
    booking = await _booked(db)
    assert (booking.patient_id, booking.status) == (kid, BookingStatus.BOOKED)
    assert booking.patient_id != parent
    seconds = call.ended()
    print(f"known caller, for a dependent: {seconds} s")
    assert seconds <= DEPENDENT_PATH_SECONDS


async def test_a_pediatric_visit_goes_to_the_only_child_it_is_for_without_a_question(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    _parent_id, (small, _grown) = await _parent(db, clock, date(2019, 3, 3), date(2000, 1, 1))
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("1")
    await phone.press(BORN)
    await phone.press("2")  # paediatrics: one service, for children
    assert "Dla kogo" not in phone.said()  # the caller (46) and Zosia (26) may not have it
    await phone.press("1")
    assert "Pacjent: Staś" in phone.said()
    await phone.press("1")
    assert (await _booked(db)).patient_id == small


async def test_a_name_in_cyrillic_is_said_in_latin_letters_on_a_polish_line(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    parent = await adult(db, clock)
    await PatientService(db, clock).register(
        PatientDraft(first_name="Олеся", last_name="Коваль", birth_date=date(2019, 3, 12)),
        in_care_of=(parent, CareRelation.CHILD),
    )
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("1")
    await phone.press(BORN)
    await phone.press("1")  # internal medicine
    await phone.press("1")  # a consultation: the caller and the child may both have it
    assert "Olesya: proszę nacisnąć 2." in phone.said()
    assert "Олеся" not in " ".join(phone.heard)
    await phone.press("2")
    await phone.press("1")  # the earliest time
    assert "Pacjent: Olesya" in phone.said()


async def test_a_pediatric_visit_for_nobody_of_the_caller_is_refused_before_any_time(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await _parent(db, clock, date(2000, 1, 1))
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("1")
    await phone.press(BORN)
    await phone.press("2")  # paediatrics
    assert "nie jest dla Pana/Pani dostępna" in phone.said()
    assert "Jaka specjalność?" in phone.said()  # back to the choice
    async with db.read() as session:
        assert (await session.execute(select(Booking))).first() is None


async def test_a_parent_hears_the_childs_visit_and_cancels_it(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    parent, (kid,) = await _parent(db, clock, date(2019, 3, 3))
    start = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    visit = await BookingService(db, clock).book(
        Actor.patient(parent, Channel.TELEGRAM),
        VisitRequest(kid, clinic.child_visit.id or 0, clinic.paediatrician.id or 0, start),
    )
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("2")  # my visits
    await phone.press(BORN)
    assert "Wizyta 1 z 1. Pacjent: Staś." in phone.said()
    assert "Testowy" not in phone.said()
    await phone.press("2")  # cancel it
    await phone.press("1")  # yes
    assert "odwołana" in phone.said()
    assert visit.id is not None
    assert (await BookingService(db, clock).get(visit.id)).status is BookingStatus.CANCELLED
