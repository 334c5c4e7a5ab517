"""Twilio's account lists (edge/twilio_lists.py): the page parsed without I/O, the
account's numbers read from the fake Twilio, page after page, with its refusals, and the
ledger that finds a message sent to a number since a moment."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.messaging.port import TryLater
from edge.twilio_lists import IncomingNumber, TwilioLedger, incoming_numbers, parse_numbers
from edge.twilio_rest import TwilioAccount, TwilioError, open_client
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, PATIENT, SENDER, SMS_SENDER, FakeTwilio
from tests.conftest import NOW


def twilio_client(fake: FakeTwilio, token: str = AUTH_TOKEN):  # async with ... as client
    return open_client(TwilioAccount(ACCOUNT_SID, token, sender="", api_base=fake.base_url))


def test_a_page_is_parsed_without_io() -> None:
    page = {
        "incoming_phone_numbers": [
            {"phone_number": "+48222997700", "voice_url": "https://c.example/twilio/voice"},
            "not a number",
            {"phone_number": 48222997701, "voice_url": None, "status_callback": ""},
        ],
        "next_page_uri": "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?Page=1",
    }

    numbers, following = parse_numbers(json.dumps(page).encode())

    assert numbers == [
        IncomingNumber("+48222997700", "https://c.example/twilio/voice", "", ""),
        IncomingNumber("", "", "", ""),
    ]
    assert following == "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?Page=1"


@pytest.mark.parametrize("content", [b"<html>", b"[]", b'{"incoming_phone_numbers": 3}'])
def test_a_page_that_is_not_twilios_is_an_error(content: bytes) -> None:
    with pytest.raises(TwilioError):
        parse_numbers(content)


async def test_every_page_of_numbers_is_read(fake: FakeTwilio) -> None:
    for n in range(5):
        fake.number(f"+4822299770{n}", voice_url=f"https://c.example/{n}")

    async with twilio_client(fake) as client:
        numbers = await incoming_numbers(client, page_size=2)

    assert [n.phone_number for n in numbers] == [f"+4822299770{n}" for n in range(5)]
    assert numbers[4].voice_url == "https://c.example/4"


async def test_wrong_credentials_are_twilios_20003(fake: FakeTwilio) -> None:
    fake.number("+48222997700")
    async with twilio_client(fake, "0" * 32) as client:
        with pytest.raises(TwilioError) as caught:
            await incoming_numbers(client)
    assert (caught.value.code, caught.value.status) == (20003, 401)


async def test_the_ledger_finds_a_message_sent_to_the_number_since_the_claim(
    fake: FakeTwilio,
) -> None:
    whatsapp = TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, sender=SENDER, api_base=fake.base_url)
    async with open_client(whatsapp) as client:
        sent = await client.send(PATIENT, "Przypomnienie")
        ledger = TwilioLedger(client)
        found = await ledger.sent_since(PATIENT, NOW - timedelta(minutes=5))
        later = await ledger.sent_since(PATIENT, NOW + timedelta(minutes=5))
        elsewhere = await ledger.sent_since("+48501999999", NOW - timedelta(minutes=5))

    assert found == sent.sid
    assert later is None
    assert elsewhere is None


async def test_a_ledger_that_cannot_ask_says_try_later(fake: FakeTwilio) -> None:
    sms = TwilioAccount(ACCOUNT_SID, "0" * 32, sender=SMS_SENDER, api_base=fake.base_url)
    async with open_client(sms) as client:
        with pytest.raises(TryLater):
            await TwilioLedger(client).sent_since(PATIENT, NOW)
