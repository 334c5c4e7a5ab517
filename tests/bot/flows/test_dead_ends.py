"""Every reply leaves the patient a way on: no buttonless answer, no silence, no
instruction to press a button that is not there."""

from __future__ import annotations

from bot.chat import Incoming
from core.messaging.escalation import EscalationService
from core.vocab import Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def _at_phone_step(db, clock, channel: Channel, chat_id: str) -> Chat:
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), channel=channel, chat_id=chat_id, language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    return chat


async def test_the_calendar_file_comes_with_the_menu(db, clock):
    chat = await _at_phone_step(db, clock, Channel.TELEGRAM, "301")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    await chat.send(payload=chat.first_button("ok"))
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("ics:"))
    [reply] = chat.seen
    assert reply.attachment is not None
    assert chat.first_button("m:book")


async def test_messages_to_the_desk_are_acknowledged(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="302", language="en")
    await chat.send("/start")
    await chat.send(payload="m:human")
    await chat.send("A question about my results")
    assert "registration desk" in chat.text
    assert "opening hours" in chat.text
    assert chat.buttons()
    case = await EscalationService(db, clock).active(Channel.TELEGRAM, "302")
    assert case is not None


async def test_the_web_chat_is_not_told_to_press_a_missing_button(db, clock):
    chat = await _at_phone_step(db, clock, Channel.WEB, "web-303aaaaaa")
    await chat.send("24.05.1987")
    assert "button" not in chat.text
    assert all(r.ask_contact is None for r in chat.seen)


async def test_someone_elses_contact_card_is_explained_not_counted(db, clock):
    chat = await _at_phone_step(db, clock, Channel.TELEGRAM, "304")
    await chat.send("24.05.1987")
    for _ in range(3):
        replies = await chat.dialog.handle(
            Incoming(
                channel=Channel.TELEGRAM,
                chat_id="304",
                delivery_id=f"contact-{_}",
                extras={"content_type": "contact"},
                language_hint="en",
            )
        )
        assert "your own number" in replies[0].text
        assert replies[0].ask_contact
    assert await EscalationService(db, clock).active(Channel.TELEGRAM, "304") is None


async def test_a_future_date_of_birth_is_named_as_such(db, clock):
    chat = await _at_phone_step(db, clock, Channel.TELEGRAM, "305")
    await chat.send("24.05.2030")
    assert "future" in chat.text


async def test_a_sticker_is_answered_without_a_miss(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="306", language="en")
    await chat.send("/start")
    for n in range(3):
        replies = await chat.dialog.handle(
            Incoming(
                channel=Channel.TELEGRAM,
                chat_id="306",
                delivery_id=f"sticker-{n}",
                extras={"content_type": "sticker"},
                language_hint="en",
            )
        )
        assert "text" in replies[0].text
        assert any(r.buttons for r in replies)
    assert await EscalationService(db, clock).active(Channel.TELEGRAM, "306") is None
