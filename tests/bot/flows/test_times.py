"""The whole day, and the days after the first page, are reachable from the chat."""

from __future__ import annotations

from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def test_the_later_times_of_a_day_are_one_button_away_and_back(db, clock):
    c = await small_clinic(db, clock)  # the internist: 08:00-12:00 Warsaw, every 15 minutes
    chat = Chat(make_dialog(db, clock), language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    assert "08:00" in chat.buttons()
    assert "11:45" not in chat.buttons()
    await chat.press("Later times")
    assert "11:45" in chat.buttons()
    assert "08:00" not in chat.buttons()
    assert "Later times ➡️" not in chat.buttons()  # the day's last page
    await chat.send(payload=chat.first_button("t:"))  # a time of the later page is held
    assert "first and last name" in chat.text  # a new patient is asked who they are


async def test_earlier_times_lead_back_to_the_first_page(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language="pl")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.press("Późniejsze godziny")
    await chat.press("Wcześniejsze godziny")
    assert "08:00" in chat.buttons()


async def test_the_days_after_the_first_page_and_back(db, clock):
    c = await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    first = chat.buttons()[0]
    await chat.press("Later")
    assert first not in chat.buttons()
    await chat.press("Later")
    await chat.press("Earliest days")
    assert chat.buttons()[0] == first
