"""What Twilio's REST API tells about the account (read-only GETs): its phone numbers and
where their calls are sent, for `frontdesk check`; and whether a message from our sender
reached a number since a moment, for a notification caught mid-send by a crash
(`TwilioLedger`, the engine's `SentLedger`).

Sans-I/O as `edge/twilio_rest.py`: the request is built and the page parsed in pure
functions, sent through the same `TwilioClient`'s connection pool and credentials.
A page Twilio answers with a `next_page_uri` is followed, up to `MAX_PAGES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from core.messaging.port import TryLater
from edge.twilio_rest import (
    API_VERSION,
    WHATSAPP_PREFIX,
    TwilioClient,
    TwilioError,
    TwilioUnavailable,
    parse_error,
    whatsapp_address,
)

PAGE_SIZE = 1000  # Twilio's largest page
MAX_PAGES = 20
RECENT = 20  # messages to one number looked at, the newest first


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


def messages_url(api_base: str, account_sid: str) -> str:
    account = quote(account_sid, safe="")
    return f"{api_base.rstrip('/')}/{API_VERSION}/Accounts/{account}/Messages.json"


def parse_created(content: bytes) -> list[tuple[str, datetime]]:
    """The sid and creation time of each message on a page (unreadable rows left out)."""
    rows = _json_object(content).get("messages")
    if not isinstance(rows, list):
        raise TwilioError(None, 200)
    found = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            created = parsedate_to_datetime(_text(row, "date_created"))
        except (TypeError, ValueError):
            continue
        if created.tzinfo is not None and _text(row, "sid"):
            found.append((_text(row, "sid"), created))
    return found


class TwilioLedger:
    """Twilio's message list for one sender: a message to `address` since `since`.
    Any message from our sender counts (its text is not compared): within the minutes a
    notification is in doubt, the desk rarely writes to the same patient."""

    def __init__(self, client: TwilioClient) -> None:
        self.client = client

    async def sent_since(self, address: str, since: datetime) -> str | None:
        account = self.client.account
        whatsapp = account.sender.startswith(WHATSAPP_PREFIX)
        params = {
            "To": whatsapp_address(address) if whatsapp else address,
            "From": account.sender,
            "PageSize": str(RECENT),
        }
        try:
            content = await _get(self.client, messages_url(account.api_base, account.sid), params)
            messages = parse_created(content)
        except TwilioError as exc:
            raise TryLater(f"twilio {exc.code} (HTTP {exc.status})") from None
        return next((sid for sid, created in messages if created >= since), None)
