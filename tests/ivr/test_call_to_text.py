"""Call-to-text (ivr/call_to_text.py), through signed Twilio webhooks and the fake Twilio, on
SQLite and PostgreSQL: a queued caller takes a booking link by SMS, the call ends politely
and counts as deflected to text, and the caller books through the link; from the main
menu a number that chats on WhatsApp gets it there; a withheld number is not offered it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.calls.reports import CallReports
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.notifications import Dispatcher
from core.models import BookingLink, Conversation
from core.vocab import CallOutcome, Channel, ContactKind
from frontdesk.delivery import open_senders
from frontdesk.keys import SERVICES, SETTINGS
from testkit.factories import SmallClinic
from testkit.fakes.twilio import PATIENT, SENDER, FakeTwilio, sms_to
from testkit.ivr import Client, rows, the_call
from testkit.phone import PUBLIC, Phone
from testkit.staff_desk import ADMIN

_LINK = re.compile(re.escape(PUBLIC) + r"(/b/[0-9]+-[A-Za-z0-9_-]+)")
_SLOT = re.compile(r'name="slot" id="slot\d+" value="([^"]+)"')


async def _deliver(client: Client) -> None:
    services = client.app[SERVICES]
    async with open_senders(client.app[SETTINGS], services) as senders:
        dispatcher = Dispatcher(
            services.db, services.clock, senders, "test", links=services.booking_links.signer
        )
        assert (await dispatcher.run_once()).sent == 1


async def test_a_queued_caller_takes_a_link_by_text_and_books_through_it(
    client: Client, db: Database, fake: FakeTwilio, clinic: SmallClinic, clock: FrozenClock
) -> None:
    phone = Phone(client)
    await phone.dial()
    await phone.press("0")
    wait = await phone.wait_in_queue(seconds=10, position=4)
    assert "2" in (wait.findtext("Gather/Say") or "")
    assert [v.tag for v in await phone.press_while_waiting("2")] == ["Leave"]
    await phone.leave_queue("leave")
    assert phone.verbs() == ["Say", "Hangup"]
    assert "linkiem" in phone.said()
    await phone.hang_up()
    assert (await the_call(db, phone)).outcome is CallOutcome.TEXTED

    await _deliver(client)
    (text,) = sms_to(fake, PATIENT)
    found = _LINK.search(text)
    assert found is not None, text
    path = found[1]
    page = await client.get(path)
    assert page.status == 200
    service = re.search(r'href="/b/[^"?]+\?service=(\d+)', await page.text())
    assert service is not None
    html = await (await client.get(f"{path}?service={service[1]}")).text()
    assert 'name="first_name"' in html  # the number has no card: names are asked
    slot = _SLOT.findall(html)[0]
    booked = await client.post(
        path,
        data={"service": service[1], "slot": slot, "first_name": "Jan", "last_name": "Nowak"},
    )
    assert booked.status == 200
    (link,) = await rows(db, BookingLink)
    assert link.booking_id is not None
    assert link.used_at is not None
    card = await client.app[SERVICES].patients.find_by_contact(ContactKind.PHONE, PATIENT)
    assert card is not None

    day = datetime(2026, 12, 1, tzinfo=UTC)
    outcomes = await CallReports(db).outcomes(ADMIN, day, day + timedelta(days=1))
    assert outcomes[CallOutcome.TEXTED] == 1


async def test_from_the_menu_a_number_that_chats_on_whatsapp_gets_the_link_there(
    client: Client, db: Database, fake: FakeTwilio, clinic: SmallClinic, clock: FrozenClock
) -> None:
    async def chat(session):
        session.add(
            Conversation(
                channel=Channel.WHATSAPP,
                chat_id=PATIENT,
                last_inbound_at=clock.now() - timedelta(hours=1),
                updated_at=clock.now(),
            )
        )

    await db.write(chat)
    phone = Phone(client)
    await phone.dial()
    assert "5" in phone.said()
    await phone.press("5")
    assert phone.verbs() == ["Say", "Hangup"]
    await _deliver(client)
    assert sms_to(fake, PATIENT) == []
    (message,) = [m for m in fake.messages if m.to == "whatsapp:" + PATIENT]
    assert message.from_ == SENDER
    assert PUBLIC + "/b/" in message.body


async def test_a_withheld_number_is_offered_no_link(client: Client, clinic: SmallClinic) -> None:
    phone = Phone(client, caller="anonymous")
    await phone.dial()
    assert "5" not in phone.said()
    await phone.press("0")
    wait = await phone.wait_in_queue(seconds=10)
    assert wait.find("Gather") is None
