"""Sending WhatsApp (and SMS) messages through Twilio's REST API (Messages.json).

Sans-I/O where it can be: `send_request` builds the request and
`parse_error` reads Twilio's error body, both pure; `TwilioClient` is the
thin httpx adapter with bounded retries (429 and 5xx only; a timed-out POST
is not retried, since Twilio may have queued it already and a retry would
send the message twice). Nothing here logs or repeats a body or a phone
number: errors carry Twilio's numeric code and the HTTP status only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
WHATSAPP_PREFIX = "whatsapp:"
OUTSIDE_SESSION_WINDOW = 63016  # free-form message more than 24 h after the patient's last one
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class TwilioError(Exception):
    """Twilio refused a message; `code` is Twilio's error code (None when it gave none)."""

    def __init__(self, code: int | None, status: int, more_info: str | None = None) -> None:
        super().__init__(f"twilio error {code} (HTTP {status})")
        self.code = code
        self.status = status
        self.more_info = more_info


class OutsideSessionWindow(TwilioError):
    """63016: the patient wrote more than 24 h ago; only an approved template may be sent."""


class TwilioUnavailable(TwilioError):
    """Throttled, failing or unreachable after the bounded retries (or a timeout)."""


class _Retryable(TwilioError):
    """429 or 5xx: worth another attempt, after `retry_after` seconds if Twilio said so."""

    def __init__(self, code: int | None, status: int, retry_after: float | None) -> None:
        super().__init__(code, status)
        self.retry_after = retry_after


@dataclass(frozen=True)
class TwilioAccount:
    """Who sends: the account, its auth token, the WhatsApp sender, the API's base URL."""

    sid: str
    token: str = field(repr=False)
    sender: str  # "whatsapp:+48..." for WhatsApp, "+48..." for SMS
    api_base: str = "https://api.twilio.com"


@dataclass(frozen=True)
class SendRequest:
    method: str
    url: str
    form: dict[str, str]


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: a webhook must answer Twilio within 15 s, sends included."""

    attempts: int = 3
    backoff: float = 0.5  # first wait without Retry-After; doubles, at most `max_wait`
    max_wait: float = 5.0  # a longer Retry-After is not waited for: the send fails at once
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def whatsapp_address(number: str) -> str:
    """ "+48501234567" → "whatsapp:+48501234567" (an address already prefixed is kept)."""
    return number if number.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + number


def send_request(
    account: TwilioAccount,
    to: str,
    body: str | None = None,
    *,
    content_sid: str | None = None,
    variables: dict[str, str] | None = None,
) -> SendRequest:
    """The Messages.json POST (pure): free-form `body`, or an approved template by its
    `content_sid` with `variables`. WhatsApp when the sender is a WhatsApp address, SMS
    otherwise."""
    url = f"{account.api_base.rstrip('/')}/{API_VERSION}/Accounts/{quote(account.sid, safe='')}"
    whatsapp = account.sender.startswith(WHATSAPP_PREFIX)
    form = {"To": whatsapp_address(to) if whatsapp else to, "From": account.sender}
    if content_sid is not None:
        form |= {"ContentSid": content_sid, "ContentVariables": json.dumps(variables or {})}
    else:
        form["Body"] = body or ""
    return SendRequest(method="POST", url=f"{url}/Messages.json", form=form)


def parse_error(status: int, content: bytes, retry_after: str | None = None) -> TwilioError:
    """The typed error of a non-2xx answer from its `{"code", "message", "more_info", "status"}`."""
    code: int | None = None
    more_info: str | None = None
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        raw_code = data.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        info = data.get("more_info")
        more_info = info if isinstance(info, str) else None
    if status == 429 or status >= 500:
        return _Retryable(code, status, _seconds(retry_after))
    if code == OUTSIDE_SESSION_WINDOW:
        return OutsideSessionWindow(code, status, more_info)
    return TwilioError(code, status, more_info)


def parse_sent(content: bytes) -> SentMessage:
    """The message resource of a 201 answer (its sid and initial status)."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
        raise TwilioError(None, 201)
    return SentMessage(sid=data["sid"], status=str(data.get("status", "")))


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds (Twilio sends seconds; an HTTP date falls back to back-off)."""
    try:
        seconds = float(retry_after) if retry_after else None
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds is not None and math.isfinite(seconds) else None


class TwilioClient:
    """Sends free-form WhatsApp messages; one per call, retried within `policy`."""

    def __init__(
        self, http: httpx.AsyncClient, account: TwilioAccount, policy: RetryPolicy | None = None
    ) -> None:
        self.http = http
        self.account = account
        self.policy = policy or RetryPolicy()

    async def send(self, to: str, body: str) -> SentMessage:
        """Send `body` to `to` (E.164 or "whatsapp:+..."), or raise a `TwilioError`."""
        return await self._send(send_request(self.account, to, body))

    async def send_template(
        self, to: str, content_sid: str, variables: dict[str, str]
    ) -> SentMessage:
        """Send an approved template: what WhatsApp allows outside the 24-hour window."""
        return await self._send(
            send_request(self.account, to, content_sid=content_sid, variables=variables)
        )

    async def _send(self, request: SendRequest) -> SentMessage:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            sleep=self.policy.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post(request)
        except _Retryable as exc:
            raise TwilioUnavailable(exc.code, exc.status) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _post(self, request: SendRequest) -> SentMessage:
        try:
            response = await self.http.request(
                request.method,
                request.url,
                data=request.form,
                auth=(self.account.sid, self.account.token),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise _Retryable(None, 0, None) from None  # never reached Twilio: safe to retry
        except httpx.HTTPError:
            raise TwilioUnavailable(None, 0) from None  # maybe queued: no retry, no duplicate
        if response.status_code in (200, 201):
            return parse_sent(response.content)
        error = parse_error(
            response.status_code, response.content, response.headers.get("Retry-After")
        )
        log.info("twilio refused a message: code %s, HTTP %s", error.code, error.status)
        if isinstance(error, _Retryable) and (error.retry_after or 0) > self.policy.max_wait:
            raise TwilioUnavailable(error.code, error.status)
        raise error

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return min(error.retry_after, self.policy.max_wait)
        backoff = wait_exponential(multiplier=self.policy.backoff, max=self.policy.max_wait)
        return float(backoff(state))


@asynccontextmanager
async def open_client(
    account: TwilioAccount, policy: RetryPolicy | None = None
) -> AsyncIterator[TwilioClient]:
    """A client over its own connection pool, closed on exit (for cleanup_ctx or a worker)."""
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http:
        yield TwilioClient(http, account, policy)
