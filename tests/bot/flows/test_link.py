"""A linking code typed straight into the chat, the way the desk tells patients to."""

from __future__ import annotations

import pytest

from core.messaging.escalation import EscalationService
from core.patients.linking import LinkingService
from core.vocab import Channel
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import adult, small_clinic


@pytest.mark.parametrize("spaced", [False, True])
async def test_a_code_typed_in_the_menu_links_the_card(db, clock, spaced):
    await small_clinic(db, clock)
    pid = await adult(db, clock)
    code = (await LinkingService(db, clock, SECRET).issue(pid)).code
    typed = f"{code[:3]} {code[3:6]} {code[6:]}" if spaced else code
    chat = Chat(make_dialog(db, clock), chat_id="401", language="en")
    await chat.send("/start")
    await chat.send(typed)
    assert await LinkingService(db, clock, SECRET).linked_patient(Channel.TELEGRAM, "401") == pid
    assert "linked" in chat.text


async def test_a_wrong_code_in_the_menu_is_answered_not_handed_over(db, clock):
    await small_clinic(db, clock)
    chat = Chat(make_dialog(db, clock), chat_id="402", language="en")
    await chat.send("/start")
    await chat.send("123 456 789")
    await chat.send("987654321")
    assert "code does not work" in chat.text
    assert await EscalationService(db, clock).active(Channel.TELEGRAM, "402") is None
