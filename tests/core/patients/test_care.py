"""Cards in another card's care: made in a guardian's care (PESEL checked as any card's),
read from both sides, booked for by the guardian only, reminded on the guardian's
channel."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from core.actors import Actor
from core.booking.confirm import confirm_hold
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.errors import InvalidInput, NotFound, PeselInvalid
from core.messaging.compose import addresses
from core.models import Guardianship, Notification
from core.patients.cards import PatientDraft, PatientService
from core.patients.care import CareService
from core.vocab import BookingStatus, CareRelation, Channel, ContactKind, Sex
from testkit.factories import adult, small_clinic, warsaw_at

CHILD_PESEL = "20210100002"  # a girl born on 2020-01-01


def _child(pesel: str | None = None, born: date | None = date(2020, 1, 1)) -> PatientDraft:
    return PatientDraft(first_name="Zosia", last_name="Testowa", birth_date=born, pesel=pesel)


async def test_a_child_is_made_in_a_guardians_care_and_read_from_both_sides(db, clock):
    guardian = await adult(db, clock)
    patients, care = PatientService(db, clock), CareService(db, clock)
    kid = await patients.register(_child(), in_care_of=(guardian, CareRelation.CHILD))
    circle = await care.care_of(guardian)
    assert [(d.patient.id, d.relation) for d in circle.dependents] == [(kid.id, CareRelation.CHILD)]
    assert circle.guardians == []
    assert [g.patient.id for g in (await care.care_of(kid.id)).guardians] == [guardian]
    with pytest.raises(NotFound):
        await care.care_of(999)


async def test_a_dependents_pesel_is_checked_and_unique(db, clock):
    guardian = await adult(db, clock)
    patients = PatientService(db, clock)
    with pytest.raises(PeselInvalid):
        await patients.register(_child("20210100003"), in_care_of=(guardian, CareRelation.CHILD))
    girl = await patients.register(_child(CHILD_PESEL), in_care_of=(guardian, CareRelation.CHILD))
    assert girl.sex is Sex.FEMALE
    with pytest.raises(PeselInvalid):  # the PESEL says another date of birth
        await patients.register(
            _child("44051401359", born=date(2020, 1, 1)), in_care_of=(guardian, CareRelation.CHILD)
        )
    ward = await patients.register(
        PatientDraft(first_name="Jan", last_name="Stary", pesel="44051401359"),
        in_care_of=(guardian, CareRelation.WARD),
    )
    assert (ward.birth_date, ward.sex) == (date(1944, 5, 14), Sex.MALE)
    with pytest.raises(InvalidInput):
        await patients.register(
            PatientDraft(first_name="Jan", last_name="Inny", pesel="44051401359"),
            in_care_of=(guardian, CareRelation.WARD),
        )


async def test_a_card_is_never_in_its_own_care_and_linked_once(db, clock):
    guardian, other = await adult(db, clock, 1), await adult(db, clock, 2)
    care = CareService(db, clock)
    with pytest.raises(InvalidInput):
        await care.link(guardian, guardian, CareRelation.WARD)
    await care.link(guardian, other, CareRelation.WARD)
    await care.link(guardian, other, CareRelation.WARD)  # twice: still one
    assert len((await care.care_of(guardian)).dependents) == 1

    async def own_care(session):
        session.add(
            Guardianship(
                guardian_id=other, dependent_id=other, relation=CareRelation.WARD, created_at=now
            )
        )
        await session.flush()

    now = clock.now()
    with pytest.raises(IntegrityError):  # the database refuses it whoever writes
        await db.write(own_care)


async def test_a_guardian_books_for_their_child_and_no_one_else_does(db, clock):
    c = await small_clinic(db, clock)
    guardian, stranger = await adult(db, clock, 1), await adult(db, clock, 2)
    kid = await PatientService(db, clock).register(
        _child(), in_care_of=(guardian, CareRelation.CHILD)
    )
    svc = BookingService(db, clock)
    at = warsaw_at(clock, 1, 9)
    ticket = await svc.hold(Channel.TELEGRAM, c.child_visit.id, c.paediatrician.id, at)
    with pytest.raises(NotFound):
        await confirm_hold(
            svc,
            Actor.patient(stranger, Channel.TELEGRAM),
            service_id=c.child_visit.id,
            doctor_id=c.paediatrician.id,
            start_at=at,
            hold_token=ticket.token,
            for_patient=kid.id,
        )
    booking = await confirm_hold(
        svc,
        Actor.patient(guardian, Channel.TELEGRAM),
        service_id=c.child_visit.id,
        doctor_id=c.paediatrician.id,
        start_at=at,
        hold_token=ticket.token,
        for_patient=kid.id,
    )
    assert booking.patient_id == kid.id


async def test_a_dependents_reminder_reaches_the_guardians_chat(db, clock):
    guardian = await adult(db, clock)
    await PatientService(db, clock).add_contact(guardian, ContactKind.TELEGRAM, "4242")
    kid = await PatientService(db, clock).register(
        _child(), in_care_of=(guardian, CareRelation.CHILD)
    )
    async with db.read() as session:
        found = await addresses(
            session, Notification(key="k", patient_id=kid.id, topic="reminder", due_at=clock.now())
        )
    assert found == [(Channel.TELEGRAM, "4242"), (Channel.SMS, "+48501000001")]


async def test_a_guardian_changes_their_childs_visit_as_their_own_and_no_one_else_does(db, clock):
    c = await small_clinic(db, clock)
    guardian, stranger = await adult(db, clock, 1), await adult(db, clock, 2)
    kid = await PatientService(db, clock).register(
        _child(), in_care_of=(guardian, CareRelation.CHILD)
    )
    assert kid.id is not None
    svc = BookingService(db, clock)
    parent = Actor.patient(guardian, Channel.TELEGRAM)
    other = Actor.patient(stranger, Channel.TELEGRAM)
    visit = await svc.book(
        parent, VisitRequest(kid.id, c.child_visit.id, c.paediatrician.id, warsaw_at(clock, 1, 9))
    )
    assert visit.id is not None
    assert [v.id for v in await svc.upcoming(guardian)] == [visit.id]
    assert await svc.upcoming(stranger) == []
    for refused in (
        svc.get_for(other, visit.id),
        svc.cancel(other, visit.id, "patient: plans"),
        svc.confirm_attendance(other, visit.id),
        svc.reschedule(
            other, visit.id, doctor_id=c.paediatrician.id, start_at=warsaw_at(clock, 2, 9)
        ),
    ):
        with pytest.raises(NotFound):
            await refused
    assert (await svc.get_for(parent, visit.id)).id == visit.id
    moved = await svc.reschedule(
        parent, visit.id, doctor_id=c.paediatrician.id, start_at=warsaw_at(clock, 2, 9)
    )
    assert (moved.patient_id, moved.start_at) == (kid.id, warsaw_at(clock, 2, 9))
    assert (await svc.confirm_attendance(parent, visit.id)).status is BookingStatus.CONFIRMED
    assert (await svc.cancel(parent, visit.id, "patient: ill")).status is BookingStatus.CANCELLED
