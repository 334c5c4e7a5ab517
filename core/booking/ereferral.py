"""An e-referral (e-skierowanie) as a patient or CeR gives it, checked and kept in one form.

A patient books with what their referral shows (pacjent.gov.pl, NFZ's guidance for
registrars; the P1 specification itself is not public to us): the 4-digit access code
(kod dostępowy) with their PESEL, or the referral's key (klucz, 44 digits), or its
number (22 digits) on a printed copy. Spaces, dashes and slashes between the digits
are allowed; the PESEL is checked by python-stdnum. Kept as digits only, the code and
the PESEL as `CODE/PESEL`, at most 44 characters (`Booking.e_referral`).
"""

from __future__ import annotations

import re

from core.errors import EReferralInvalid, PeselInvalid
from core.patients.identity import normalize_pesel

CODE_DIGITS = 4
NUMBER_DIGITS = 22
KEY_DIGITS = 44
_SEPARATORS = re.compile(r"[\s\-/.,:;]+")


def parse_e_referral(text: str) -> str:
    """The e-referral in its kept form, or `EReferralInvalid`."""
    raw = text.strip()
    if len(raw) > 120:
        raise EReferralInvalid("too long for an e-referral")
    parts = [p for p in _SEPARATORS.split(raw) if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise EReferralInvalid("an e-referral is digits only")
    digits = "".join(parts)
    if len(digits) in (NUMBER_DIGITS, KEY_DIGITS):
        return digits
    if len(digits) == CODE_DIGITS + 11:
        # The code and the PESEL, in either order: the one that is a PESEL decides.
        orders = ((digits[:CODE_DIGITS], digits[CODE_DIGITS:]), (digits[11:], digits[:11]))
        for code, pesel in orders:
            try:
                return f"{code}/{normalize_pesel(pesel)}"
            except PeselInvalid:
                continue
    raise EReferralInvalid("not a code with a PESEL, a 22-digit number or a 44-digit key")


def access_code(kept: str) -> tuple[str, str] | None:
    """The code and the PESEL of a kept `CODE/PESEL` form; None for a number or a key."""
    code, _, pesel = kept.partition("/")
    return (code, pesel) if pesel else None
