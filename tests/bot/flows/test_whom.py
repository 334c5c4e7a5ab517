"""Booking for someone in my care: "for whom?" asked only when it matters, the service's
limits checked for the chosen person as soon as it is chosen, a new child's card made
(in the guardian's care) only on confirming, and the booking's replies in the guardian's
chat."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.models import Booking, Guardianship, Patient
from core.patients.cards import PatientDraft, PatientService
from core.patients.care import CareService
from core.patients.linking import LinkingService
from core.vocab import CareRelation
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import adult, small_clinic


async def _count(db, model) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _linked(db, clock, chat_id: str, language: str = "en") -> tuple[Chat, int]:
    pid = await adult(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id=chat_id, language=language)
    await chat.send(f"/start {(await LinkingService(db, clock, SECRET).issue(pid)).code}")
    return chat, pid


async def test_no_question_for_whom_when_it_does_not_matter(db, clock):
    c = await small_clinic(db, clock)
    chat, _pid = await _linked(db, clock, "801")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert chat.first_button("day:")  # no dependents, not for children: straight to days


async def test_a_new_parent_books_a_childs_visit_and_both_cards_are_made_on_confirming(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="802", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    assert "For whom is the visit?" in chat.text
    await chat.press("For my child")
    await chat.send("Zosia Nowak")
    await chat.send("2021 0100 002")  # a PESEL, spaced
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    assert "your own first and last name" in chat.text  # the parent's now, not the child's
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")  # the parent's: not held against the child's service
    await chat.send(phone="+48501234567")
    assert "For: Zosia Nowak" in chat.text
    assert await _count(db, Patient) == 0  # nothing kept before the confirmation
    await chat.press("Confirm")
    assert "Done: the visit is booked.\n👶 For: Zosia\n" in chat.text  # not "your visit"
    async with db.read() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
        kid = await session.get_one(Patient, booking.patient_id)
        link = (await session.execute(select(Guardianship))).scalar_one()
    assert (kid.first_name, kid.birth_date, kid.pesel) == ("Zosia", date(2020, 1, 1), "20210100002")
    assert (link.dependent_id, link.relation) == (kid.id, CareRelation.CHILD)


async def test_a_child_too_old_is_refused_when_the_service_is_chosen(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="803", language="pl")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button("newdep"))
    await chat.send("Jan Nowak")
    await chat.send("01.01.2000")  # 26: before any time, name or phone is asked
    assert "od 0 do 17" in chat.text
    assert chat.first_button("m:book")
    assert await _count(db, Patient) == 0


async def test_a_parent_with_a_child_on_file_picks_them_and_an_adult_is_refused_at_once(db, clock):
    c = await small_clinic(db, clock)
    chat, pid = await _linked(db, clock, "804", "uk")
    kid = await PatientService(db, clock).register(
        PatientDraft(first_name="Staś", last_name="Testowy", birth_date=date(2019, 3, 3)),
        in_care_of=(pid, CareRelation.CHILD),
    )
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert chat.first_button(f"for:{kid.id}")  # the card has a dependent: asked
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button("me"))
    assert "від 0 до 17" in chat.text  # the parent is 46: refused before any time is offered
    await chat.send(payload=chat.first_button("m:book"))
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button(f"for:{kid.id}"))
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    assert "Staś Testowy" in chat.text
    await chat.send(payload=chat.first_button("ok"))
    async with db.read() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
    assert booking.patient_id == kid.id
    assert [d.patient.id for d in (await CareService(db, clock).care_of(pid)).dependents] == [
        kid.id
    ]


async def test_a_card_not_in_my_care_cannot_be_chosen(db, clock):
    c = await small_clinic(db, clock)
    chat, _pid = await _linked(db, clock, "805")
    stranger = await adult(db, clock, 7)
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    forged = chat.first_button("me").replace("me", f"for:{stranger}")
    await chat.send(payload=forged)
    assert "cannot find" in chat.text
    assert await _count(db, Booking) == 0


async def test_a_service_needing_a_referral_is_refused_when_chosen(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="806", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.ultrasound.id}"))
    assert "needs a referral" in chat.text
    assert chat.first_button("m:book")
