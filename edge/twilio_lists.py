"""What Twilio's REST API tells about the account (read-only GETs): its phone numbers and
where their calls are sent, for `frontdesk check`.

Sans-I/O as `edge/twilio_rest.py`: the request is built and the page parsed in pure
functions, sent through the same `TwilioClient`'s connection pool and credentials.
A page Twilio answers with a `next_page_uri` is followed, up to `MAX_PAGES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from edge.twilio_rest import API_VERSION, TwilioClient, TwilioError, TwilioUnavailable, parse_error

PAGE_SIZE = 1000  # Twilio's largest page
MAX_PAGES = 20


@dataclass(frozen=True)
class IncomingNumber:
    """A number of the account and the webhooks its calls and texts go to."""

    phone_number: str
    voice_url: str
    status_callback: str
    sms_url: str


def numbers_url(api_base: str, account_sid: str) -> str:
    account = quote(account_sid, safe="")
    return f"{api_base.rstrip('/')}/{API_VERSION}/Accounts/{account}/IncomingPhoneNumbers.json"


def parse_numbers(content: bytes) -> tuple[list[IncomingNumber], str | None]:
    """One page of numbers and the path of the next (None on the last page)."""
    data = _json_object(content)
    rows = data.get("incoming_phone_numbers")
    if not isinstance(rows, list):
        raise TwilioError(None, 200)
    numbers = [
        IncomingNumber(
            phone_number=_text(row, "phone_number"),
            voice_url=_text(row, "voice_url"),
            status_callback=_text(row, "status_callback"),
            sms_url=_text(row, "sms_url"),
        )
        for row in rows
        if isinstance(row, dict)
    ]
    return numbers, _next_page(data)


async def incoming_numbers(
    client: TwilioClient, *, page_size: int = PAGE_SIZE
) -> list[IncomingNumber]:
    """Every number of the account, or a `TwilioError` (401 for wrong credentials)."""
    url: str | None = numbers_url(client.account.api_base, client.account.sid)
    params: dict[str, str] | None = {"PageSize": str(page_size)}
    numbers: list[IncomingNumber] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        content = await _get(client, url, params)
        page, following = parse_numbers(content)
        numbers += page
        url = client.account.api_base.rstrip("/") + following if following else None
        params = None  # the next page's path carries them
    return numbers


async def _get(client: TwilioClient, url: str, params: dict[str, str] | None) -> bytes:
    account = client.account
    try:
        response = await client.http.get(url, params=params, auth=(account.sid, account.token))
    except httpx.HTTPError:
        raise TwilioUnavailable(None, 0) from None
    if response.status_code != 200:
        raise parse_error(response.status_code, response.content)
    return response.content


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TwilioError(None, 200)
    return data


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return value if isinstance(value, str) else ""


def _next_page(data: dict[str, Any]) -> str | None:
    following = data.get("next_page_uri")
    return following if isinstance(following, str) and following.startswith("/") else None
