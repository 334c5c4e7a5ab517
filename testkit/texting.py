"""A patient's text messages to the clinic's number, signed as Twilio signs them, and the
day-before reminder sent to them by SMS through the fake Twilio: what the SMS replies'
tests and the refill simulation share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from xml.etree import ElementTree

from bot.whatsapp.notify import SmsSender
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.link_tokens import LinkSigner
from core.messaging.notifications import Dispatcher, DispatchReport
from core.messaging.reminders import ReminderPlanner
from core.vocab import Channel
from edge.twilio_rest import RetryPolicy, TwilioAccount, open_client
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, FakeTwilio, inbound_sms, sign
from testkit.messengers import PUBLIC, no_sleep

PATH = "/twilio/sms"


@dataclass(frozen=True)
class Answer:
    status: int
    messages: list[str]  # the TwiML <Message> texts sent back to the number


async def text(client, body: str, number: str, **fields: str) -> Answer:
    """A signed inbound SMS from `number`; what our webhook answered."""
    form = inbound_sms(body, number=number, **fields)
    headers = {"X-Twilio-Signature": sign(PUBLIC + PATH, form)}
    response = await client.post(PATH, data=form, headers=headers)
    if response.status != 200:
        return Answer(response.status, [])
    root = ElementTree.fromstring(await response.text())  # noqa: S314 (our own TwiML)
    return Answer(200, [m.text or "" for m in root.iter("Message")])


async def dispatch_sms(
    db: Database, clock: FrozenClock, fake: FakeTwilio, links: LinkSigner | None = None
) -> DispatchReport:
    """Plan, then deliver what is due by SMS through the fake Twilio (booking links signed
    with `links`, the app's signer)."""
    await ReminderPlanner(db, clock).plan()
    account = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, fake.base_url)
    async with open_client(account, RetryPolicy(sleep=no_sleep)) as http:
        senders = {Channel.SMS: SmsSender(http)}
        return await Dispatcher(db, clock, senders, "sms-worker", links=links).run_once()


def evening_before(clock: FrozenClock) -> None:
    """From Tuesday 08:00 to 18:00 in Warsaw, when the day-before reminders are due."""
    clock.advance(timedelta(hours=10))
