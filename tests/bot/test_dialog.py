"""Patient journeys through the channel-neutral dialog, in every language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from core.models import Booking, Escalation, Patient
from core.schedule.feed import FeedSlot
from core.vocab import BookingStatus, Channel
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import consultants, small_clinic


async def _one(db, model):
    async with db.read() as session:
        return list((await session.execute(select(model))).scalars())


async def test_language_is_asked_when_unknown_and_kept(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=None)
    await chat.send("hi")
    assert "Українська" in chat.buttons()
    await chat.press("Українська")
    assert "Записатися" in chat.text or "Записатися" in " ".join(chat.buttons())


@pytest.mark.parametrize(
    ("language", "book", "confirm", "weekday"),
    [
        ("pl", "Umów", "Potwierdź", "środa, 2 grudnia"),
        ("uk", "Записатися", "Підтвердити", "середа"),
        ("ru", "Записаться", "Подтвердить", "среда"),
        ("en", "Book", "Confirm", "Wednesday, 2 December"),
    ],
)
async def test_book_move_and_cancel_in_each_language(db, clock, language, book, confirm, weekday):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language=language)
    await chat.send("/start")
    await chat.press(book)
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert weekday in " ".join(chat.buttons())
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    assert "08:00" in chat.text  # 07:00 UTC shown in Warsaw time
    assert "150,00" in chat.text or "150.00" in chat.text
    await chat.press(confirm)
    [booking] = await _one(db, Booking)
    assert booking.source is Channel.TELEGRAM
    assert booking.start_at.isoformat() == "2026-12-02T07:00:00+00:00"
    [patient] = await _one(db, Patient)
    assert (patient.first_name, patient.birth_date, patient.language) == (
        "Anna",
        date(1987, 5, 24),
        language,
    )

    # Move it to the next free time, same service.
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("mv:"))
    await chat.send(payload=chat.first_button("day:2026-12-03"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.press(confirm)
    [moved] = await _one(db, Booking)
    assert moved.start_at.isoformat() == "2026-12-03T07:00:00+00:00"

    # Cancel it with a reason.
    await chat.send(payload="m:visits")
    await chat.send(payload=chat.first_button("cx:"))
    await chat.send(payload=chat.first_button("why:ill"))
    [cancelled] = await _one(db, Booking)
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "patient: ill"


async def test_typed_doctor_name_with_typos_and_without_diacritics(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock))
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send("kowalsk")  # Anna Kowalska, typo and all
    assert any("Konsultacja" in b for b in chat.buttons())  # her services
    await chat.send(payload=chat.first_button(f"svc:{c.long_consult.id}"))
    assert chat.first_button("day:")


async def test_numbers_press_buttons_and_stale_buttons_are_explained(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), channel=Channel.WHATSAPP, chat_id="+48501234567")
    await chat.send("/start")
    old = chat.first_button("m:book")
    await chat.send("1")  # the first button: book
    first_service = chat.first_button("svc:")
    await chat.send("1")  # the first service
    assert chat.first_button("day:")
    await chat.send(payload=first_service)  # a button of an earlier message
    assert chat.first_button("day:")  # answered with where we are now
    assert old == "m:book"


async def test_two_misunderstandings_reach_a_person(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock))
    await chat.send("/start")
    await chat.send("qwerty")
    assert not await _one(db, Escalation)
    await chat.send("asdfgh")
    [case] = await _one(db, Escalation)
    assert case.reason == "not_understood"
    assert chat.first_button("m:book")  # the offer to keep going


async def test_a_forged_button_for_someone_elses_visit_is_refused(db, clock):
    c = await small_clinic(db, clock)
    owner = Chat(make_dialog(db, clock), chat_id="1")
    await owner.send("/start")
    await owner.send(payload="m:book")
    await owner.send(payload=owner.first_button(f"svc:{c.consult.id}"))
    await owner.send(payload=owner.first_button("day:"))
    await owner.send(payload=owner.first_button("t:"))
    for text in ("Jan Kowal", "01.01.1970"):
        await owner.send(text)
    await owner.send(phone="+48501000001")
    await owner.press("Potwierdź")
    [booking] = await _one(db, Booking)

    intruder = Chat(make_dialog(db, clock), chat_id="2")
    await intruder.send("/start")
    await intruder.send(payload=f"ics:{booking.id}")
    assert all(r.attachment is None for r in intruder.seen)
    await intruder.send(payload="m:book")
    await intruder.send(payload=intruder.first_button(f"svc:{c.consult.id}"))
    forged = intruder.first_button("day:").split("|")[0] + f"|cx:{booking.id}"
    await intruder.send(payload=forged)
    async with db.read() as session:
        status = (await session.execute(select(Booking.status))).scalar_one()
    assert status is BookingStatus.BOOKED
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Booking))).scalar_one() == 1


async def test_two_patients_race_from_two_channels_for_the_last_slot(db, clock):
    c = await small_clinic(db, clock, days=1)
    dialog = make_dialog(db, clock)
    tg = Chat(dialog, Channel.TELEGRAM, "7001")
    wa = Chat(dialog, Channel.WHATSAPP, "+48501000777")
    for chat in (tg, wa):
        await chat.send("/start")
        await chat.send(payload="m:book")
        await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
        await chat.send(payload=chat.first_button("day:"))
    same_time = tg.first_button("t:").split("|")[1]
    assert wa.first_button("t:").split("|")[1] == same_time
    await tg.send(payload=tg.first_button("t:"))  # held for the Telegram patient
    await wa.send(payload=wa.first_button("t:"))
    assert "zajął" in wa.text  # "someone has just taken that time"
    alternatives = [b for b in wa.seen[-1].payloads() if "|t:" in b or "|day:" in b]
    assert alternatives
    assert all(same_time not in p for p in alternatives)


@pytest.mark.parametrize("text", ["🙂🙂🙂", "مرحبا بكم", "x" * 1_000_000, "\u202e\u0000odd"])
async def test_hostile_text_gets_a_polite_answer(db, clock, text):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock))
    await chat.send("/start")
    replies = await chat.send(text)
    assert replies
    assert all(len(r.text) < 4096 for r in replies)


async def test_the_same_delivery_twice_is_answered_once(db, clock):
    from bot.chat import Incoming

    await small_clinic(db, clock)
    dialog = make_dialog(db, clock)
    incoming = Incoming(
        channel=Channel.TELEGRAM,
        chat_id="9",
        delivery_id="upd-1",
        text="/start",
        language_hint="pl",
    )
    assert await dialog.handle(incoming)
    assert await dialog.handle(incoming) == []


async def test_linking_by_code_and_deep_link(db, clock):
    from core.patients.linking import LinkingService
    from testkit.chat import SECRET
    from testkit.factories import adult

    await small_clinic(db, clock)
    pid = await adult(db, clock)
    linking = LinkingService(db, clock, SECRET)
    chat = Chat(make_dialog(db, clock), chat_id="31")
    await chat.send(f"/start {(await linking.issue(pid)).code}")
    assert await linking.linked_patient(Channel.TELEGRAM, "31") == pid
    other = Chat(make_dialog(db, clock), chat_id="32")
    await other.send("/start")
    await other.send(payload="m:link")
    await other.send("123 456 789")
    assert "nie działa" in other.text
    await other.send(payload="m:link")
    await other.send((await linking.issue(pid)).code)
    assert await linking.linked_patient(Channel.TELEGRAM, "32") == pid
    await other.send(payload="m:visits")
    assert "Nie ma zaplanowanych wizyt" in other.text


async def test_asking_for_a_code_sends_it_to_the_preferred_contact_then_the_next(db, clock):
    from bot.courier import Courier
    from core.vocab import ContactKind
    from testkit.factories import adult

    class Failing:
        async def send_text(self, address, text):
            raise ConnectionError("down")

    class Recording:
        def __init__(self):
            self.sent = []

        async def send_text(self, address, text):
            self.sent.append((address, text))

    await small_clinic(db, clock)
    await adult(db, clock)  # Ewa Testowa1, 01.05.1980, phone +48501000001
    courier, sms = Courier(), Recording()
    courier.register(ContactKind.TELEGRAM, Failing())
    courier.register(ContactKind.PHONE, sms)
    chat = Chat(make_dialog(db, clock, courier), chat_id="41")
    await chat.send("/start")
    await chat.send(payload="m:link")
    await chat.send(payload=chat.first_button("nocode"))
    await chat.send("ewa testowa1")
    await chat.send("01.05.1980")
    [(address, text)] = sms.sent
    assert address == "+48501000001"
    code = "".join(ch for ch in text if ch.isdigit())[:9]
    stranger = Chat(make_dialog(db, clock, courier), chat_id="42")
    await stranger.send("/start")
    await stranger.send(payload="m:link")
    await stranger.send(payload=stranger.first_button("nocode"))
    await stranger.send("Nie Istnieje")
    await stranger.send("01.05.1980")
    assert stranger.text == chat.text  # the same answer: nothing revealed
    await chat.send(code)
    assert "połączona" in chat.text


async def test_talk_to_a_person_forwards_messages_until_closed(db, clock):
    from core.messaging.escalation import EscalationService

    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="51")
    await chat.send("/start")
    await chat.send(payload="m:human")
    desk = EscalationService(db, clock)
    case = await desk.active(Channel.TELEGRAM, "51")
    assert case is not None
    assert "rejestracji" in (await chat.send("Mam pytanie o wyniki"))[0].text
    assert [m.text for m in await desk.transcript(case.id)][-1] == "Mam pytanie o wyniki"
    await desk.close(case.id)
    await chat.send("Halo?")
    assert chat.seen  # the bot answers again


async def test_nothing_suits_so_the_new_patient_joins_the_waiting_list(db, clock):
    from core.models import WaitlistEntry

    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="61", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.long_consult.id}"))
    await chat.press("Later")
    assert "Monday, 7 December" in chat.buttons()
    await chat.press("waiting list")
    await chat.send("Olga Shevchenko")
    await chat.send("1990-07-15")
    await chat.send("+380 67 123 4567")
    assert "waiting list" in chat.text
    [entry] = await _one(db, WaitlistEntry)
    assert (entry.service_id, entry.channel) == (c.long_consult.id, Channel.TELEGRAM)


async def test_restrictions_are_explained_in_the_patients_language(db, clock):
    from core.patients.linking import LinkingService
    from testkit.chat import SECRET
    from testkit.factories import adult

    c = await small_clinic(db, clock)
    pid = await adult(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="71", language="ru")
    await chat.send(f"/start {(await LinkingService(db, clock, SECRET).issue(pid)).code}")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.child_visit.id}"))
    await chat.send(payload=chat.first_button("me"))  # for whom? "For me": refused at once
    assert "от 0 до 17 лет" in chat.text
    assert chat.first_button("m:book")


async def test_a_feed_link_opens_that_doctors_day_and_a_bad_one_the_usual_start(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language="en")
    eight = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 in Warsaw, a Wednesday
    link = FeedSlot(f"{c.internist.id}-{c.branch.id}", eight, eight).link_payload()

    await chat.send(f"/start {link}")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))

    assert "Free times on Wednesday, 2 December" in chat.text
    assert "09:00" in chat.buttons()

    for forged in (f"slot-999999-{eight:%Y%m%d%H%M}", "slot-1-202613450800", "slot-x"):
        await chat.send(f"/start {forged}")
        assert "09:00" not in chat.buttons()
        assert "Book" in " ".join(chat.buttons()) or "What kind of visit" in chat.text


async def test_a_busy_first_day_still_offers_the_following_days(db, clock):
    c = await small_clinic(db, clock)
    await consultants(db, clock, c, 8)  # hundreds of free times on the first day
    chat = Chat(make_dialog(db, clock), chat_id="81", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert chat.buttons()[:5] == [
        "⚡ Earliest free time",
        "Tuesday, 1 December",
        "Wednesday, 2 December",
        "Thursday, 3 December",
        "Friday, 4 December",
    ]
    assert chat.first_button("later:").endswith("later:2026-12-07")


async def test_the_branch_is_asked_when_several_have_free_times(db, clock):
    c = await small_clinic(db, clock)
    await consultants(db, clock, c, 1, branch="Wola")
    chat = Chat(make_dialog(db, clock), chat_id="82", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    assert "branch" in chat.text
    assert chat.buttons() == [
        "⚡ Earliest free time",
        "Mokotów, ul. Puławska 1",
        "Wola, ul. Wola 2",
    ]
    await chat.press("Wola")
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234567")
    assert "Wola, ul. Wola 2" in chat.text
    await chat.press("Confirm")
    [booking] = await _one(db, Booking)
    assert booking.branch_id != c.branch.id


async def test_the_earliest_time_is_said_before_the_first_question(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="83", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.press("Earliest free time")
    said = [r.text for r in chat.seen]
    kept = "🕒 The earliest free time waits for your confirmation: Tuesday, 1 December 2026, 08:00."
    assert kept in said[0]  # first, then the questions (the notice, the name)
    assert "first and last name" in said[-1]
