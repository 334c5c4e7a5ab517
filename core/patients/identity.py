"""Who a person is: identifiers checked by well-kept libraries, PESEL (python-stdnum),
phone numbers (phonenumbers, E.164) and e-mail addresses (email-validator), and
names folded for comparison."""

from __future__ import annotations

import unicodedata
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError
from stdnum.pl import pesel as stdnum_pesel

from core.errors import EmailInvalid, PeselInvalid, PhoneInvalid
from core.vocab import Sex

DEFAULT_REGION = "PL"


def normalize_pesel(value: str, *, birth_date: date | None = None, sex: Sex | None = None) -> str:
    """A valid PESEL, consistent with the date of birth and sex when they are known.

    The error never repeats the number: it may end up in a log line.
    """
    try:
        number: str = stdnum_pesel.validate(value)
    except ValidationError as exc:
        raise PeselInvalid("PESEL is not valid", reason="checksum_or_format") from exc
    if birth_date is not None and stdnum_pesel.get_birth_date(number) != birth_date:
        raise PeselInvalid("PESEL does not match the date of birth", reason="birth_date")
    if sex is not None and pesel_sex(number) != sex:
        raise PeselInvalid("PESEL does not match the sex", reason="sex")
    return number


def pesel_valid(number: str) -> bool:
    """Whether a stored PESEL passes python-stdnum's check (the card shows it)."""
    valid: bool = stdnum_pesel.is_valid(number)
    return valid


def pesel_birth_date(number: str) -> date:
    born: date = stdnum_pesel.get_birth_date(number)
    return born


def pesel_sex(number: str) -> Sex:
    return Sex.MALE if stdnum_pesel.get_gender(number) == "M" else Sex.FEMALE


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 (`+48501234567`), Polish numbers accepted without +48."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneInvalid("phone number cannot be read") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneInvalid("phone number is not valid")
    e164: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164


def normalize_email(value: str) -> str:
    """A syntactically valid address; no DNS lookups (the engine works offline)."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailInvalid("e-mail address is not valid") from exc
    normalized: str = checked.normalized
    return normalized.lower()


def fold_name(name: str) -> str:
    """A name for matching: case, spacing and diacritics ignored ("Łukasz" ~ "lukasz")."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.casefold().split())
