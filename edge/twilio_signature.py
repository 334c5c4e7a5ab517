"""Is a webhook really from Twilio? Its `X-Twilio-Signature` checked with the auth token.

Twilio signs the URL it called, which behind a proxy is the public one
(PUBLIC_BASE_URL + path and query), never the URL the app sees locally.
The comparison is the twilio library's own (constant-time, with and without
the default port); we only choose the URL and the parameters.
"""

from __future__ import annotations

from collections.abc import Iterable

from multidict import MultiDict
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url(public_base_url: str, path_qs: str) -> str:
    """The URL Twilio called: "https://clinic.example" + "/twilio/whatsapp?x=1"."""
    return public_base_url.rstrip("/") + path_qs


def form_params(fields: Iterable[tuple[str, object]]) -> MultiDict[str]:
    """The text fields of a posted form, repeated names kept (all of them are signed)."""
    return MultiDict((name, value) for name, value in fields if isinstance(value, str))


def is_signed(
    auth_token: str, url: str, params: MultiDict[str] | dict[str, str], signature: str | None
) -> bool:
    """True when `signature` is Twilio's HMAC of `url` and `params` under `auth_token`."""
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))
