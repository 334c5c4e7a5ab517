"""A recall list the desk uploads (CSV of phones and names), read as hostile input: at
most `MAX_BYTES` and `MAX_ROWS`, UTF-8 (with or without a BOM) or Windows-1250 (what
Polish spreadsheets export), comma, semicolon or tab separated, a header row optional.
Each row's phone is checked with `phonenumbers`; a row without a readable phone is
rejected by its number and reason (never quoted back), a phone listed twice counts once.
A file that cannot be read at all raises `InvalidInput` with a clear reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from core.errors import DomainError, InvalidInput
from core.patients.identity import normalize_phone

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
MAX_CELL = 200
_PHONE_HEADERS = {"phone", "telefon", "tel", "tel.", "numer", "mobile", "телефон", "номер"}


@dataclass(frozen=True)
class ListedPerson:
    phone: str  # E.164
    name: str


@dataclass
class RecallList:
    people: list[ListedPerson] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    duplicates: int = 0


def read_recall_list(data: bytes) -> RecallList:
    """The people of an uploaded list, and the rows that could not be used."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"the file is larger than {MAX_BYTES // 1000} kB", field="file", reason="too_large"
        )
    text = _decode(data)
    if not text.strip():
        raise InvalidInput("the file is empty", field="file", reason="empty")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","  # one column, or nothing to tell by
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error:
        raise InvalidInput(
            "the file is not a readable CSV table", field="file", reason="not_csv"
        ) from None
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput(
            f"the list has more than {MAX_ROWS} rows", field="file", reason="too_many_rows"
        )
    return _people(rows)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise InvalidInput("the file is not a text (CSV) file", field="file", reason="not_text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file's encoding is not UTF-8 nor Windows-1250: save it as CSV UTF-8",
            field="file",
            reason="encoding",
        ) from None


def _people(rows: list[list[str]]) -> RecallList:
    found = RecallList()
    rows = [[cell.strip() for cell in row] for row in rows]
    phone_column: int | None = None
    first = 1
    if rows and any(cell.lower() in _PHONE_HEADERS for cell in rows[0]):
        phone_column = next(i for i, c in enumerate(rows[0]) if c.lower() in _PHONE_HEADERS)
        rows, first = rows[1:], 2
    seen: set[str] = set()
    for number, row in enumerate(rows, start=first):
        if not any(row):
            continue
        if any(len(cell) > MAX_CELL for cell in row):
            found.rejected.append((number, "a cell is too long"))
            continue
        phone, column = _phone(row, phone_column)
        if phone is None:
            found.rejected.append((number, "no valid phone number"))
            continue
        if phone in seen:
            found.duplicates += 1
            continue
        seen.add(phone)
        name = " ".join(cell for i, cell in enumerate(row) if i != column and cell)
        found.people.append(ListedPerson(phone, name))
    if not found.people and not found.rejected:
        raise InvalidInput("the file lists nobody", field="file", reason="nobody")
    return found


def _phone(row: list[str], column: int | None) -> tuple[str | None, int | None]:
    """The row's phone (its column, else the first cell that is one) and its column."""
    candidates = [column] if column is not None else range(len(row))
    for i in candidates:
        if i is None or i >= len(row) or not row[i]:
            continue
        try:
            return normalize_phone(row[i]), i
        except DomainError:
            continue
    return None, None
