"""E-referrals as patients type them: a 4-digit code with a valid PESEL (either order), a
22-digit number or a 44-digit key; anything else refused without echoing it."""

from __future__ import annotations

import pytest

from core.booking.ereferral import access_code, parse_e_referral
from core.errors import EReferralInvalid

PESEL = "44051401359"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("1234 44051401359", f"1234/{PESEL}"),
        ("44051401359, 1234", f"1234/{PESEL}"),
        (" 1234-44051401359 ", f"1234/{PESEL}"),
        ("1234/44051401359", f"1234/{PESEL}"),
        ("2" * 22, "2" * 22),
        ("1111 2222 3333 4444 5555 66", "11112222333344445555" + "66"),
        ("9" * 44, "9" * 44),
    ],
)
def test_accepted_forms_are_kept_as_digits(typed, kept):
    assert parse_e_referral(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["", "1234", "1234 44051401358", "12a4 44051401359", "1" * 23, "1" * 45, "١٢٣٤ 44051401359"],
)
def test_other_input_is_refused_without_repeating_it(typed):
    with pytest.raises(EReferralInvalid) as caught:
        parse_e_referral(typed)
    assert PESEL[:6] not in str(caught.value)


def test_the_code_and_pesel_are_read_back():
    assert access_code(f"1234/{PESEL}") == ("1234", PESEL)
    assert access_code("9" * 44) is None
