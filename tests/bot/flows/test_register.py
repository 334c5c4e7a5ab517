"""A new patient's card is made only when they confirm: an abandoned booking keeps
nothing personal, and a service they cannot have is refused when it first shows."""

from __future__ import annotations

from sqlalchemy import func, select

from core.messaging.chats import ConversationStore
from core.models import Booking, Contact, Patient, PrivacyNotice
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def _count(db, model) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _to_confirmation(chat: Chat, service_id: int) -> None:
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{service_id}"))
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")


async def test_an_abandoned_booking_keeps_no_card_and_no_answers(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="501", language="en")
    await _to_confirmation(chat, c.consult.id)
    assert "Book this visit?" in chat.text
    await chat.press("Not now")
    assert await _count(db, Patient) == 0
    assert await _count(db, Contact) == 0
    async with ConversationStore(db, clock).turn(Channel.TELEGRAM, "501", "peek") as (snapshot, _):
        pass
    assert snapshot is not None
    assert "Nowak" not in str(snapshot.state)
    assert "1987" not in str(snapshot.state)


async def test_the_card_is_made_on_confirming(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="502", language="en")
    await _to_confirmation(chat, c.consult.id)
    await chat.press("Other times")
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    assert "Book this visit?" in chat.text  # not asked who they are again
    await chat.press("Confirm")
    assert await _count(db, Patient) == 1
    assert await _count(db, Booking) == 1


async def test_a_childs_service_is_refused_at_the_date_of_birth_not_at_the_end(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="503", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button("me"))  # for whom? "For me"
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    assert "aged 0 to 17" in chat.text
    assert chat.first_button("m:book")
    assert await _count(db, Patient) == 0


async def test_the_information_notice_comes_once_before_the_first_personal_question(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="504", language="pl")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:"))
    assert "Administratorem" not in chat.text  # nothing personal asked yet
    await chat.send(payload=chat.first_button("t:"))
    [notice, question] = [r.text for r in chat.seen]
    assert "Administratorem" in notice
    assert "Przychodnia Testowa" in notice
    assert "w rejestracji" in notice  # no link configured: the desk has the full notice
    assert "imienia i nazwiska" in question
    async with db.read() as session:
        shown = (await session.execute(select(PrivacyNotice))).scalar_one()
    assert (shown.channel, shown.chat_id, shown.shown_at) == (Channel.TELEGRAM, "504", clock.now())
    await chat.send("menu")  # abandoned: asked again in a new booking, without the notice
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    assert "Administratorem" not in chat.text  # once per chat
    assert await _count(db, PrivacyNotice) == 1
