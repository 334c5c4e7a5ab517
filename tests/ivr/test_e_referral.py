"""By phone, a service that needs an e-referral asks for its code and the PESEL on the
keypad before the confirmation (a wrong one is asked again, twice wrong goes to the
desk) and the visit keeps it; with the clinic's guard on, a second visit of the service
is refused naming the first."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking
from core.patients.cards import PatientDraft, PatientService
from core.vocab import CareRelation
from testkit.cer_rig import mark_nfz
from testkit.factories import SmallClinic, adult
from testkit.guard import switch_guard
from testkit.ivr import BORN, CALLER, Client, assert_prompt, rows
from testkit.phone import Phone

PESEL = "44051401359"


async def _to_the_offer(phone: Phone) -> None:
    await phone.dial()
    await phone.press("1")  # book
    await phone.press(BORN)
    await phone.press("1")  # internal medicine
    await phone.press("1")  # a consultation


async def test_the_e_referral_is_keyed_in_and_kept(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    assert clinic.consult.id is not None
    await mark_nfz(db, clinic.consult.id, e_referral=True)
    await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await _to_the_offer(phone)
    await phone.press("1")  # take it
    assert_prompt(phone, listens="dtmf")
    assert phone.gather().get("numDigits") == "15"
    assert "e-skierowania" in phone.said()
    await phone.press("1234" + "44051401358")  # a PESEL with a wrong check digit
    assert "Proszę jeszcze raz" in phone.said()
    await phone.press("1234" + PESEL)
    assert "Konsultacja" in phone.said()
    await phone.press("1")  # confirm
    assert "zarezerwowana" in phone.said()
    (booking,) = await rows(db, Booking)
    assert booking.e_referral == f"1234/{PESEL}"


async def test_for_a_child_the_prompt_asks_for_the_childs_pesel(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    assert clinic.consult.id is not None
    await mark_nfz(db, clinic.consult.id, e_referral=True)
    parent = await adult(db, clock)
    await PatientService(db, clock).register(
        PatientDraft(first_name="Staś", last_name="Testowy", birth_date=date(2019, 3, 3)),
        in_care_of=(parent, CareRelation.CHILD),
    )
    phone = Phone(client, caller=CALLER)
    await _to_the_offer(phone)
    await phone.press("2")  # for Staś
    await phone.press("1")  # take the earliest time
    assert "numer PESEL osoby, dla której jest wizyta: Staś." in phone.said()


async def test_a_second_visit_of_the_service_is_refused_naming_the_first(
    client: Client, db: Database, clock: FrozenClock, clinic: SmallClinic
) -> None:
    await switch_guard(db)
    pid = await adult(db, clock)
    assert clinic.consult.id is not None
    assert clinic.internist.id is not None
    first = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    await BookingService(db, clock).book(
        Actor.staff("desk"), VisitRequest(pid, clinic.consult.id, clinic.internist.id, first)
    )
    phone = Phone(client, caller=CALLER)
    await _to_the_offer(phone)
    await phone.press("1")  # take it
    await phone.press("1")  # confirm
    assert "Ma już Pan/Pani wizytę na tę usługę" in phone.said()
    assert "10:00" in phone.said()
    assert_prompt(phone)  # back in the menu
    assert len(await rows(db, Booking)) == 1
