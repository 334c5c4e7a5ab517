"""SMS within Twilio's pace for one sender: the fake refuses the eleventh message of a
second with a 429 as Twilio does, and the SMS sender's pace never meets it."""

from __future__ import annotations

import asyncio

from bot.whatsapp.notify import SenderPace, SmsSender
from core.messaging.port import Outgoing
from edge.twilio_rest import RetryPolicy, TwilioAccount, TwilioError, open_client
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, FakeTwilio
from testkit.messengers import no_sleep


def _account(fake: FakeTwilio) -> TwilioAccount:
    return TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, SMS_SENDER, fake.base_url)


async def test_the_fake_refuses_an_eleventh_message_in_one_second(twilio: FakeTwilio) -> None:
    async with open_client(_account(twilio), RetryPolicy(attempts=1, sleep=no_sleep)) as http:
        results = await asyncio.gather(
            *(http.send(f"+4850100{n:04d}", "x") for n in range(12)), return_exceptions=True
        )
    refused = [r for r in results if isinstance(r, TwilioError)]
    assert (len(twilio.messages), len(refused), twilio.throttled) == (10, 2, 2)
    assert {r.status for r in refused} == {429}


async def test_the_sms_sender_keeps_within_the_pace(twilio: FakeTwilio) -> None:
    pace = SenderPace(per_second=50.0)  # a fast sender, so the test takes a fraction of a second
    twilio.sms_per_second = 50
    async with open_client(_account(twilio), RetryPolicy(attempts=1, sleep=no_sleep)) as http:
        sms = SmsSender(http, pace)
        message = Outgoing("reminder", "pl", "Przychodnia: jutro 08:00.")
        await asyncio.gather(*(sms.send(f"+4850100{n:04d}", message) for n in range(120)))
    assert (len(twilio.messages), twilio.throttled) == (120, 0)
