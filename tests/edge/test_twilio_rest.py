"""Twilio's REST client (edge/twilio_rest.py): the request built without I/O, errors parsed
into types, and sends against the fake Twilio with its retries and refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from edge.twilio_rest import (
    OutsideSessionWindow,
    RetryPolicy,
    TwilioAccount,
    TwilioClient,
    TwilioError,
    TwilioUnavailable,
    parse_error,
    send_request,
)
from testkit.fakes.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PATIENT,
    SENDER,
    FakeTwilio,
    outside_window,
    server_error,
    throttled,
)
from testkit.whatsapp_face import Sleeps


def account(fake: FakeTwilio, token: str = AUTH_TOKEN) -> TwilioAccount:
    return TwilioAccount(sid=ACCOUNT_SID, token=token, sender=SENDER, api_base=fake.base_url)


class twilio_client:  # used as `async with twilio_client(fake) as client`
    """A client on its own httpx pool, closed on exit."""

    def __init__(self, fake: FakeTwilio, *, token: str = AUTH_TOKEN, **http: Any) -> None:
        self.http = httpx.AsyncClient(**http)
        self.sleeps = Sleeps()
        self.client = TwilioClient(self.http, account(fake, token), RetryPolicy(sleep=self.sleeps))

    async def __aenter__(self) -> TwilioClient:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


def test_the_send_request_is_built_without_io() -> None:
    request = send_request(
        TwilioAccount(ACCOUNT_SID, "token", SENDER, "https://api.twilio.com/"), PATIENT, "Hej"
    )

    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {"To": f"whatsapp:{PATIENT}", "From": SENDER, "Body": "Hej"}
    assert send_request(account(FakeTwilio()), f"whatsapp:{PATIENT}", "x").form["To"] == (
        f"whatsapp:{PATIENT}"
    )


def test_twilio_errors_are_parsed_into_types() -> None:
    window = parse_error(400, b'{"code": 63016, "message": "...", "more_info": "u", "status": 400}')
    refused = parse_error(400, b'{"code": 21211, "message": "+48501234567 invalid", "status": 400}')
    garbage = parse_error(400, b"<html>bad gateway</html>")

    assert type(window) is OutsideSessionWindow
    assert (window.code, window.status, window.more_info) == (63016, 400, "u")
    assert type(refused) is TwilioError
    assert (refused.code, refused.status) == (21211, 400)
    assert "+48" not in str(refused)
    assert (garbage.code, garbage.status) == (None, 400)


async def test_the_client_sends_with_basic_auth(fake: FakeTwilio) -> None:
    async with twilio_client(fake) as client:
        sent = await client.send(PATIENT, "Dzień dobry 👋")

    assert sent.status == "queued"
    assert sent.sid.startswith("SM")
    assert len(sent.sid) == 34
    assert fake.sent_to(PATIENT) == ["Dzień dobry 👋"]


async def test_outside_the_24_hour_window_is_a_typed_error(fake: FakeTwilio) -> None:
    fake.fail_next(outside_window())

    async with twilio_client(fake) as client:
        with pytest.raises(OutsideSessionWindow) as caught:
            await client.send(PATIENT, "Przypomnienie")

    assert (caught.value.code, caught.value.status) == (63016, 400)
    assert fake.requests == 1  # never retried


async def test_a_wrong_token_is_twilios_20003(fake: FakeTwilio) -> None:
    async with twilio_client(fake, token="0" * 32) as client:
        with pytest.raises(TwilioError) as caught:
            await client.send(PATIENT, "Hej")

    assert (caught.value.code, caught.value.status) == (20003, 401)
    assert fake.messages == []


async def test_a_long_retry_after_is_not_waited_for(fake: FakeTwilio) -> None:
    fake.fail_next(throttled(retry_after=30))

    async with twilio_client(fake) as client:
        with pytest.raises(TwilioUnavailable) as caught:
            await client.send(PATIENT, "Hej")

    assert (caught.value.code, caught.value.status) == (20429, 429)
    assert fake.requests == 1


async def test_a_timed_out_send_is_not_retried(fake: FakeTwilio) -> None:
    fake.delay = 0.5

    async with twilio_client(fake, timeout=0.05) as client:
        with pytest.raises(TwilioUnavailable):
            await client.send(PATIENT, "Hej")

    assert fake.requests == 1  # Twilio may have queued it: a retry could send it twice


async def test_server_errors_are_retried_at_most_three_times(fake: FakeTwilio) -> None:
    fake.fail_next(server_error(), times=2)

    async with twilio_client(fake) as client:
        await client.send(PATIENT, "Hej")

    assert fake.requests == 3
    assert fake.sent_to(PATIENT) == ["Hej"]
