"""A fake Twilio REST API (Messages.json) and Twilio's side of a WhatsApp webhook, keeping
Twilio's contract (PLATFORMS.md):

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form `To, From, Body`, HTTP
  Basic auth (AccountSid, auth token); a wrong account or token is 401 with Twilio's
  error shape `{"code": 20003, "message": "Authenticate", "more_info", "status"}`;
- `To` and `From` must be WhatsApp addresses (`whatsapp:+E.164`) with `From` our
  WhatsApp sender, or E.164 numbers with `From` our SMS number; `Body` 1-1600
  characters, or on WhatsApp an approved template (`ContentSid` "HX...",
  `ContentVariables` JSON): otherwise 400 with Twilio's code (21604, 21603, 21211,
  63007, 21602, 21617);
- a sent message is recorded (`messages`) and answered 201 with a realistic message
  resource (sid "SM" + 32 hex, status "queued");
- each sender is held to Twilio's default pace (10 messages a second for an SMS number,
  80 for a WhatsApp sender): a message over it, in any one-second window, is refused
  429 (code 20429, Retry-After 1) and counted in `throttled`;
- failures can be queued (`fail_next`): throttled (429 with Retry-After), server
  error (500), outside the 24-hour window (63016, 400), or any of them forever;
- `GET .../Messages.json` lists what was sent, the newest first, by `To` and `From`;
- `GET .../IncomingPhoneNumbers.json` lists the account's numbers (`numbers`, set by
  the test with `number`) with their `voice_url` and `status_callback`, in pages of
  `PageSize` linked by `next_page_uri`;
- `sign` signs a webhook form exactly as Twilio does (RequestValidator over the
  public URL), and `inbound_whatsapp` and `inbound_sms` build a realistic inbound
  message's fields.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import itertools
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 16 + "0123456789abcdef"
SENDER = "whatsapp:+48221234567"
PATIENT = "+48501234567"
SMS_SENDER = "+48221234500"
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
_CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
MAX_BODY = 1600

_ADDRESS = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
_SENT_AT = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # the tests' NOW


@dataclass(frozen=True)
class Sent:
    to: str
    from_: str
    body: str
    sid: str
    content_sid: str | None = None  # an approved template instead of a body
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    status: int
    code: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def throttled(retry_after: int = 1) -> Failure:
    return Failure(429, 20429, "Too Many Requests", {"Retry-After": str(retry_after)})


def server_error() -> Failure:
    return Failure(500, 20500, "Internal Server Error")


def outside_window() -> Failure:
    return Failure(
        400,
        63016,
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template.",
    )


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    sender: str = SENDER
    sms_sender: str = SMS_SENDER
    base_url: str = ""  # set once served
    messages: list[Sent] = field(default_factory=list)
    requests: int = 0  # every POST to Messages.json, refused ones included
    delay: float = 0.0  # seconds before answering (a slow Twilio, for timeouts)
    numbers: list[dict[str, Any]] = field(default_factory=list)  # IncomingPhoneNumbers
    sms_per_second: int = 10  # Twilio's default for a long code
    whatsapp_per_second: int = 80
    throttled: int = 0  # sends refused 429 for going over a sender's pace

    def __post_init__(self) -> None:
        self._failures: deque[Failure] = deque()
        self._sent_at: defaultdict[str, list[float]] = defaultdict(list)
        self._always: Failure | None = None
        self._sids = itertools.count(1)

    # -- serving ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create)
        app.router.add_get(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json", self._list_numbers
        )
        app.router.add_get("/2010-04-01/Accounts/{account}/Messages.json", self._list_messages)
        return app

    async def _list_messages(self, request: web.Request) -> web.Response:
        """The messages sent, the newest first, filtered by `To` and `From` as Twilio does."""
        if request.match_info["account"] != self.account_sid or not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        to, sender = request.query.get("To"), request.query.get("From")
        size = int(request.query.get("PageSize", "50"))
        rows = [
            self._resource(m.sid, m.to, m.from_, m.body)
            for m in reversed(self.messages)
            if (to is None or m.to == to) and (sender is None or m.from_ == sender)
        ]
        return web.json_response({"messages": rows[:size], "next_page_uri": None})

    async def _list_numbers(self, request: web.Request) -> web.Response:
        if request.match_info["account"] != self.account_sid or not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        try:
            size = int(request.query.get("PageSize", "50"))
            page = int(request.query.get("Page", "0"))
        except ValueError:
            return _error(400, 20001, "Invalid paging parameter")
        rows = self.numbers[page * size : (page + 1) * size]
        more = (page + 1) * size < len(self.numbers)
        path = request.path
        return web.json_response(
            {
                "incoming_phone_numbers": rows,
                "page": page,
                "page_size": size,
                "next_page_uri": f"{path}?PageSize={size}&Page={page + 1}" if more else None,
                "uri": f"{path}?PageSize={size}&Page={page}",
            }
        )

    async def _create(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()  # Twilio counts a sender's pace as requests arrive
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.match_info["account"] != self.account_sid or not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        failure = self._failures.popleft() if self._failures else self._always
        if failure is not None:
            return _error(failure.status, failure.code, failure.message, failure.headers)
        form = await request.post()
        to, sender, body = form.get("To"), form.get("From"), form.get("Body")
        content_sid, variables = form.get("ContentSid"), form.get("ContentVariables")
        if not isinstance(to, str) or not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not isinstance(sender, str) or not sender:
            return _error(400, 21603, "A 'From' phone number is required.")
        sms = sender == self.sms_sender
        if not (_NUMBER if sms else _ADDRESS).fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender not in (self.sender, self.sms_sender):
            return _error(
                400, 63007, "Twilio could not find a Channel with the specified From address"
            )
        values: dict[str, str] = {}
        if isinstance(content_sid, str) and not sms:
            if not _CONTENT_SID.fullmatch(content_sid):
                return _error(400, 21655, "The ContentSid is Invalid.")
            try:
                values = json.loads(str(variables or "{}"))
            except ValueError:
                return _error(400, 21656, "The ContentVariables Parameter is invalid.")
            body = ""
        elif not isinstance(body, str) or not body:
            return _error(400, 21602, "Message body is required.")
        if len(str(body).encode("utf-16-le")) // 2 > MAX_BODY:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        limit = self.sms_per_second if sms else self.whatsapp_per_second
        if not self._within_pace(sender, limit, arrived):
            self.throttled += 1
            return _error(429, 20429, "Too Many Requests", {"Retry-After": "1"})
        sid = f"SM{next(self._sids):032x}"
        template = content_sid if isinstance(content_sid, str) and not sms else None
        sent = Sent(to, sender, str(body), sid, template, values)
        self.messages.append(sent)
        return web.json_response(self._resource(sid, to, sender, str(body)), status=201)

    def _within_pace(self, sender: str, per_second: int, arrived: float) -> bool:
        """One more message from `sender`, arrived at `arrived`, keeps within `per_second`
        over the second before it (arrivals kept in order)."""
        recent = self._sent_at[sender]
        del recent[: bisect.bisect_right(recent, arrived - 2.0)]
        if sum(1 for t in recent if arrived - 1.0 < t <= arrived) >= per_second:
            return False
        bisect.insort(recent, arrived)
        return True

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(
            f"{user}:{password}".encode(), f"{self.account_sid}:{self.auth_token}".encode()
        )

    def _resource(self, sid: str, to: str, sender: str, body: str) -> dict[str, Any]:
        created = format_datetime(_SENT_AT)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }

    # -- what tests use ----------------------------------------------------------------------

    def fail_next(self, failure: Failure, times: int = 1) -> None:
        """The next `times` sends answer `failure` (queued after earlier ones)."""
        self._failures.extend([failure] * times)

    def fail_always(self, failure: Failure | None) -> None:
        """Every send answers `failure` from now on (None: back to normal)."""
        self._always = failure

    def number(self, phone: str, voice_url: str = "", status_callback: str = "") -> None:
        """The account owns `phone`, its calls posted to `voice_url`."""
        sid = f"PN{len(self.numbers) + 1:032x}"
        self.numbers.append(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "phone_number": phone,
                "friendly_name": phone,
                "voice_url": voice_url,
                "voice_method": "POST",
                "status_callback": status_callback,
                "status_callback_method": "POST",
                "sms_url": "",
                "capabilities": {"voice": True, "sms": True, "mms": False},
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
            }
        )

    def sent_to(self, number: str) -> list[str]:
        """The bodies sent to a WhatsApp number ("+48..."), in order."""
        return [m.body for m in self.messages if m.to == f"whatsapp:{number}"]


def _error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


# -- Twilio's side of the webhook -------------------------------------------------------------


def sign(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """The `X-Twilio-Signature` Twilio sends with a form POST to `url` (the public URL)."""
    signature: str = RequestValidator(auth_token).compute_signature(url, params)
    return signature


_message_counter = itertools.count(1)


def inbound_whatsapp(
    body: str = "Dzień dobry",
    *,
    number: str = PATIENT,
    to: str = SENDER,
    account_sid: str = ACCOUNT_SID,
    message_sid: str | None = None,
    profile_name: str = "Anna",
    **extra: str,
) -> dict[str, str]:
    """The form fields of an inbound WhatsApp text message as Twilio posts them."""
    sid = message_sid or f"SM{'5e' * 8}{next(_message_counter):016x}"
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": profile_name,
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": number.removeprefix("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{number}",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def inbound_sms(
    body: str,
    *,
    number: str = PATIENT,
    to: str = SMS_SENDER,
    account_sid: str = ACCOUNT_SID,
    message_sid: str | None = None,
) -> dict[str, str]:
    """The form fields of an inbound SMS as Twilio posts them to the number's sms_url."""
    sid = message_sid or f"SM{'5a' * 8}{next(_message_counter):016x}"
    return {
        "ToCountry": "PL",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "PL",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": number,
        "ApiVersion": "2010-04-01",
    }


_call_counter = itertools.count(1)
VOICE_NUMBER = "+48221000000"  # the small clinic's branch phone (testkit/factories.py)


def call_sid() -> str:
    """A fresh CallSid as Twilio makes them: "CA" + 32 hex."""
    return f"CA{'c0' * 8}{next(_call_counter):016x}"


def voice_call(
    sid: str,
    *,
    caller: str = PATIENT,
    called: str = VOICE_NUMBER,
    account_sid: str = ACCOUNT_SID,
    status: str = "in-progress",
    **extra: str,
) -> dict[str, str]:
    """The form fields of a voice webhook (incoming call, Gather action, queue, status) as
    Twilio posts them; a withheld caller ID comes as "anonymous"."""
    return {
        "CallSid": sid,
        "AccountSid": account_sid,
        "From": caller,
        "To": called,
        "Caller": caller,
        "Called": called,
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "FromCountry": "PL",
        "ToCountry": "PL",
        **extra,
    }


def sms_to(fake: FakeTwilio, number: str) -> list[str]:
    """The SMS bodies sent to a phone number ("+48..."), in order."""
    return [m.body for m in fake.messages if m.to == number and m.from_ == fake.sms_sender]
