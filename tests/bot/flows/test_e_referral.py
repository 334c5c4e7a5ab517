"""In the chat, a service that needs an e-referral asks for it after the time is chosen
(a malformed one is explained and asked again) and the visit keeps it; with the clinic's
guard on, a second visit of a service is refused naming the first, in four languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.models import Booking
from core.patients.cards import PatientDraft, PatientService
from core.patients.linking import LinkingService
from core.vocab import Channel
from testkit.cer_rig import mark_nfz
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import small_clinic, warsaw_at
from testkit.guard import switch_guard

PESEL = "44051401359"
LABELS = {
    "en": ("Book", "Confirm"),
    "pl": ("Umów", "Potwierdź"),
    "uk": ("Записатися", "Підтвердити"),
    "ru": ("Записаться", "Подтвердить"),
}


async def _linked_card(db, clock) -> int:
    card = await PatientService(db, clock).register(
        PatientDraft(first_name="Ewa", last_name="Narodowa", pesel=PESEL)
    )
    assert card.id is not None
    linking = LinkingService(db, clock, SECRET)
    issued = await linking.issue(card.id)
    await linking.redeem(Channel.TELEGRAM, "1001", issued.code)
    return card.id


async def _choose_a_time(chat: Chat, service_id: int, language: str) -> None:
    await chat.send("/start")
    await chat.press(LABELS[language][0])
    await chat.send(payload=chat.first_button(f"svc:{service_id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))


@pytest.mark.parametrize(
    ("language", "asked", "wrong"),
    [
        ("en", "needs an e-referral", "does not look like an e-referral"),
        ("pl", "wymaga e-skierowania", "nie wygląda na e-skierowanie"),
        ("uk", "потребує е-направлення", "не схоже на е-направлення"),
        ("ru", "требует э-направления", "не похоже на э-направление"),
    ],
)
async def test_the_e_referral_is_asked_checked_and_kept(db, clock, language, asked, wrong):
    c = await small_clinic(db, clock)
    assert c.consult.id is not None
    await mark_nfz(db, c.consult.id, e_referral=True)
    await _linked_card(db, clock)
    chat = Chat(make_dialog(db, clock), language=language)
    await _choose_a_time(chat, c.consult.id, language)
    assert asked in chat.text
    await chat.send("12345")
    assert wrong in chat.text
    await chat.send("1111 2222 3333 4444 5555 6666 7777 8888 9999 0000 1234")
    await chat.press(LABELS[language][1])
    async with db.read() as session:
        booking = (await session.execute(select(Booking))).scalar_one()
    assert booking.e_referral == "11112222333344445555666677778888999900001234"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "You already have a visit of this service on Thursday, 3 December 2026"),
        ("pl", "Ma już Pan/Pani wizytę na tę usługę: czwartek, 3 grudnia 2026"),
        ("uk", "У вас уже є візит на цю послугу: четвер, 3 грудня 2026"),
        ("ru", "У вас уже есть визит на эту услугу: четверг, 3 декабря 2026"),
    ],
)
async def test_a_second_visit_is_refused_naming_the_first(db, clock, language, expected):
    c = await small_clinic(db, clock)
    assert c.consult.id is not None
    assert c.internist.id is not None
    await switch_guard(db)
    pid = await _linked_card(db, clock)
    await BookingService(db, clock).book(
        Actor.staff("desk"),
        VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 2, 9)),
    )
    chat = Chat(make_dialog(db, clock), language=language)
    await _choose_a_time(chat, c.consult.id, language)
    await chat.press(LABELS[language][1])
    assert expected in chat.text
    assert "09:00" in chat.text
    async with db.read() as session:
        assert len(list((await session.execute(select(Booking))).scalars())) == 1
