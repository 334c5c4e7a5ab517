"""Telegram as a way to reach a card's contact (bot/telegram/contacts.py): linking codes
reach linked chats, and a chat that blocked the bot is reported as not reached."""

from __future__ import annotations

from bot.keys import DIALOG
from core.models import Contact
from core.patients.linking import IssuedCode
from core.vocab import ContactKind
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import Client, sends
from tests.conftest import NOW


async def test_linking_codes_reach_linked_telegram_chats(
    client: Client, fake: FakeTelegram
) -> None:
    courier = client.app[DIALOG].services.courier
    assert courier is not None
    chat = Contact(patient_id=1, kind=ContactKind.TELEGRAM, value=str(PATIENT_ID))
    issued = IssuedCode(patient_id=1, code="123456789", expires_at=NOW, contacts=[chat])

    assert await courier.deliver_code(issued, "pl")
    fake.blocked.add(PATIENT_ID)
    assert not await courier.deliver_code(issued, "pl")

    [sent] = sends(fake)
    assert sent["chat_id"] == PATIENT_ID
    assert "123456789" in sent["text"]
