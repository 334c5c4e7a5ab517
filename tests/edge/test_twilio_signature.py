"""Twilio's request signature (edge/twilio_signature.py) on its own: Twilio's published test
vector passes, anything else fails."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from edge.twilio_signature import is_signed

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilios_test_vector_passes() -> None:
    assert is_signed("12345", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    assert is_signed("12345", VECTOR_URL, MultiDict(VECTOR_PARAMS), VECTOR_SIGNATURE)
    assert is_signed(
        "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", VECTOR_PARAMS, VECTOR_SIGNATURE
    )


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("12346", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE),
        ("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", VECTOR_PARAMS, VECTOR_SIGNATURE),
        ("12345", VECTOR_URL, {**VECTOR_PARAMS, "Digits": "1235"}, VECTOR_SIGNATURE),
        ("12345", VECTOR_URL, VECTOR_PARAMS, None),
        ("12345", VECTOR_URL, VECTOR_PARAMS, ""),
        ("", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE),
    ],
)
def test_anything_else_fails_the_signature(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not is_signed(token, url, params, signature)
