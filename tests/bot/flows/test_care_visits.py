"""A guardian's "My visits": the visits of the cards in their care listed beside their own,
each named by the first name of whom it is for, and cancelled or moved exactly as their
own (the same confirmation naming the visit, the same way out); a visit of anyone else,
pressed from a forged button, is refused politely and left as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot import actions
from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.models import Booking
from core.patients.cards import PatientDraft, PatientService
from core.patients.linking import LinkingService
from core.vocab import BookingStatus, CareRelation, Channel
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import SmallClinic, adult, small_clinic

NINE = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 in Warsaw, the paediatrician's first


async def _parent_of_zosia(db, clock, language: str) -> tuple[Chat, SmallClinic]:
    """A new parent books a pediatric visit for a child not yet on a card (as in the walk
    that found the dead end), in the chat."""
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id=f"care-{language}", language=language)
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button("newdep"))
    await chat.send("Zosia Wiśniewska")
    await chat.send("01.01.2020")
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    await chat.send(payload=chat.first_button("ok"))
    return chat, c


async def _visit(db) -> Booking:
    async with db.read() as session:
        visit: Booking = (await session.execute(select(Booking))).scalar_one()
    return visit


async def test_a_parent_sees_the_childs_visit_by_first_name_and_cancels_it_in_polish(db, clock):
    chat, _c = await _parent_of_zosia(db, clock, "pl")
    kid_visit = await _visit(db)
    await chat.send(payload="m:visits")
    assert "Pacjent: Zosia" in chat.text
    assert "Wiśniewska" not in chat.text  # the first name is enough
    assert "2 grudnia 2026, 09:00" in chat.text

    await chat.send(payload=chat.first_button("cx:"))
    assert "Pacjent: Zosia" in chat.text  # the confirmation names whose visit it is
    assert "Proszę" in chat.text or "proszę" in chat.text
    await chat.send(payload=chat.first_button("keep"))
    assert (await _visit(db)).status is BookingStatus.BOOKED

    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    await chat.send(payload=chat.first_button("why:ill"))
    cancelled = await _visit(db)
    assert (cancelled.id, cancelled.status) == (kid_visit.id, BookingStatus.CANCELLED)
    assert "Pacjent: Zosia" in chat.text
    await chat.send(payload="m:visits")
    assert "Zosia" not in chat.text


async def test_the_cancel_of_a_childs_visit_is_worded_for_the_child_in_russian(db, clock):
    chat, _c = await _parent_of_zosia(db, clock, "ru")
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    assert "Болезнь пациента" in chat.buttons()  # not "Я заболел/заболела"
    assert "Мне лучше" not in chat.buttons()
    assert "↩️ Оставить визит" in chat.buttons()
    await chat.press("Оставить визит")
    assert "Хорошо, визит остаётся в силе." in chat.text  # not "ваш визит"
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    await chat.press("Болезнь пациента")
    assert "Визит отменён:\n👶 Пациент: Zosia" in chat.text
    assert (await _visit(db)).status is BookingStatus.CANCELLED


async def test_a_parent_moves_the_childs_visit_and_it_stays_the_childs(db, clock):
    chat, _c = await _parent_of_zosia(db, clock, "uk")
    before = await _visit(db)
    await chat.send(payload="m:visits")
    assert "Пацієнт: Zosia" in chat.text
    await chat.send(payload=chat.first_button("mv:"))
    await chat.send(payload=chat.first_button("day:2026-12-03"))
    await chat.send(payload=chat.first_button("t:"))
    assert "Пацієнт: Zosia\n" in chat.text  # whose visit is moved, before it is
    assert "Wiśniewska" not in chat.text
    await chat.send(payload=chat.first_button("ok"))
    assert "Готово: візит перенесено.\n👶 Пацієнт: Zosia\n" in chat.text
    moved = await _visit(db)
    assert (moved.id, moved.patient_id) == (before.id, before.patient_id)
    assert moved.start_at.date() == date(2026, 12, 3)


async def test_own_and_dependents_visits_are_listed_together_earliest_first(db, clock):
    c = await small_clinic(db, clock)
    parent = await adult(db, clock)
    kid = await PatientService(db, clock).register(
        PatientDraft(first_name="Staś", last_name="Testowy", birth_date=date(2019, 3, 3)),
        in_care_of=(parent, CareRelation.CHILD),
    )
    booking = BookingService(db, clock)
    me = Actor.patient(parent, Channel.TELEGRAM)
    assert kid.id is not None
    await booking.book(
        me, VisitRequest(kid.id, c.child_visit.id or 0, c.paediatrician.id or 0, NINE)
    )
    await booking.book(
        me,
        VisitRequest(parent, c.consult.id or 0, c.internist.id or 0, NINE.replace(day=3)),
    )
    chat = Chat(make_dialog(db, clock), chat_id="care-both", language="en")
    await chat.send(f"/start {(await LinkingService(db, clock, SECRET).issue(parent)).code}")
    await chat.send(payload="m:visits")
    listed = chat.text
    assert listed.index("For: Staś") < listed.index("3 December")
    assert listed.count("For:") == 1  # the parent's own visit carries no label
    assert len([p for p in chat.buttons() if "Cancel" in p]) == 2


async def test_a_forged_button_for_someone_elses_visit_is_refused_and_changes_nothing(db, clock):
    chat, c = await _parent_of_zosia(db, clock, "en")
    stranger = await adult(db, clock, 7)
    theirs = await BookingService(db, clock).book(
        Actor.patient(stranger, Channel.TELEGRAM),
        VisitRequest(stranger, c.consult.id or 0, c.internist.id or 0, NINE),
    )
    assert theirs.id is not None
    for forged in (actions.CANCEL, actions.MOVE, actions.CALENDAR):
        await chat.send(payload="m:visits")
        valid = chat.first_button("cx:").split("|")[0]  # this turn's mark: not merely stale
        await chat.send(payload=f"{valid}|{forged.pack(theirs.id)}")
        assert "cannot find" in chat.text, forged
        assert chat.first_button("m:book")  # a way on
    await chat.send(payload="m:visits")
    valid = chat.first_button("cx:").split("|")[0]
    await chat.send(payload=f"{valid}|{actions.WILL_COME.pack(theirs.id)}")
    assert "cannot find" in chat.text
    kept = await BookingService(db, clock).get(theirs.id)
    assert (kept.status, kept.start_at) == (BookingStatus.BOOKED, NINE)
