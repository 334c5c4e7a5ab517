"""Every button payload the messenger face writes and reads, declared once: a small
language of actions (`svc:3`, `t:7:28512345`, `ok`), each with a typed pack and unpack,
in the spirit of aiogram's `CallbackData` but channel-neutral.

Payloads are stored in chats' saved buttons and in messages already sent, so each string
stays exactly what it has always been. A button bound to a turn carries the turn's number
first (`7|svc:3`, see `bound`); the whole payload must fit Telegram's callback_data
(`MAX_PAYLOAD_BYTES`), so every action is checked here, when packed, with the longest
turn prefix counted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from bot.chat import MAX_PAYLOAD_BYTES

T = TypeVar("T")

TURNS = 1000  # turn numbers run 0..999, then start again
LONGEST_PREFIX = len(f"{TURNS - 1}|".encode())


def _fits(action: str) -> str:
    """The action, if it fits a payload even with the longest turn prefix before it."""
    if len(action.encode()) + LONGEST_PREFIX > MAX_PAYLOAD_BYTES:
        raise ValueError(f"an action has at most {MAX_PAYLOAD_BYTES - LONGEST_PREFIX} bytes")
    return action


def bound(turn: int, action: str) -> str:
    """The payload of a button bound to one turn: pressed after it, it is stale."""
    return f"{turn}|{action}"


def split(payload: str | None) -> tuple[int | None, str | None]:
    """ "7|svc:3" → (7, "svc:3"); a global payload has no turn number."""
    if not payload:
        return None, None
    number, sep, action = payload.partition("|")
    if sep and _digits(number):
        return int(number), action
    return None, payload


class Word:
    """An action that is one word, with nothing to carry: `ok`, `menu`, `wl`."""

    def __init__(self, word: str) -> None:
        self.word = _fits(word)

    def pack(self) -> str:
        return self.word

    def pressed(self, action: str | None) -> bool:
        return action == self.word


class Tagged(Generic[T]):
    """`tag:value`: one value written after a tag; `unpack` gives None for any other
    action, or for a value that does not read."""

    def __init__(self, tag: str, write: Callable[[T], str], read: Callable[[str], T | None]):
        self.tag, self.write, self.read = tag, write, read

    def pack(self, value: T) -> str:
        return _fits(f"{self.tag}:{self.write(value)}")

    def unpack(self, action: str | None) -> T | None:
        if action is None:
            return None
        tag, sep, rest = action.partition(":")
        if not sep or tag != self.tag:
            return None
        return self.read(rest)


def _digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes "²" or "٣", which `int` refuses."""
    return text.isascii() and text.isdigit()


class RowId(Tagged[int]):
    """`tag:id`: a row of ours (a service, a visit, an offer) by its database id."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag, str, _number)

    def pack(self, value: int | None) -> str:
        assert value is not None, f"{self.tag}: a row is named before it was stored"
        return super().pack(value)


def _number(text: str) -> int | None:
    return int(text) if _digits(text) else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _text(text: str) -> str:
    return text


def _read_pair(text: str) -> tuple[int, int] | None:
    first, sep, second = text.partition(":")
    if not (sep and _digits(first) and _digits(second)):
        return None
    return int(first), int(second)


def _write_slot(slot: tuple[int, datetime]) -> str:
    doctor_id, start = slot
    return f"{doctor_id}:{int(start.timestamp()) // 60}"


def _read_slot(text: str) -> tuple[int, datetime] | None:
    doctor, sep, minutes = text.partition(":")
    if not (sep and _digits(doctor) and _digits(minutes)):
        return None
    return int(doctor), datetime.fromtimestamp(int(minutes) * 60, tz=UTC)


class MenuItem(StrEnum):
    BOOK = "book"
    VISITS = "visits"
    LINK = "link"
    INFO = "info"
    HUMAN = "human"
    LANGUAGE = "lang"
    DOCUMENTS = "docs"


def _menu_item(text: str) -> MenuItem | None:
    try:
        return MenuItem(text)
    except ValueError:
        return None


# -- anywhere ---------------------------------------------------------------------------
MENU = Word("menu")  # leave the journey, show the menu
MENU_ITEM: Tagged[MenuItem] = Tagged("m", str, _menu_item)  # an item of the main menu
LANGUAGE: Tagged[str] = Tagged("lang", str, _text)  # a language code
CALENDAR = RowId("ics")  # a visit as a calendar file

# -- booking: what ------------------------------------------------------------------------
SERVICE = RowId("svc")
DOCTOR = RowId("doc")
FIND_DOCTOR = Word("finddoc")

# -- booking: for whom -------------------------------------------------------------------
FOR_ME = Word("me")
FOR_DEPENDENT = RowId("for")  # a card in the patient's care
FOR_NEW_DEPENDENT = Word("newdep")  # a child not yet on a card

# -- booking: when --------------------------------------------------------------------------
BRANCH = RowId("br")
DAY: Tagged[date] = Tagged("day", date.isoformat, _day)
LATER: Tagged[date] = Tagged("later", date.isoformat, _day)  # days from this one on
SLOT: Tagged[tuple[int, datetime]] = Tagged("t", _write_slot, _read_slot)  # doctor, start
OTHER_DAYS = Word("days")
TIMES_PAGE: Tagged[int] = Tagged("tp", str, _number)  # later (or earlier) times of the day
FIRST_DAYS = Word("days0")  # back to the earliest days
EARLIEST = Word("first")  # the earliest free time, held at once
WAITLIST = Word("wl")

# -- booking: confirm ----------------------------------------------------------------------
CONFIRM = Word("ok")

# -- linking a card ------------------------------------------------------------------------
NO_CODE = Word("nocode")

# -- my visits, and the buttons under reminders ---------------------------------------------
MOVE = RowId("mv")
CANCEL = RowId("cx")
WHY: Tagged[str] = Tagged("why", str, _text)  # a reason for cancelling
WILL_COME = RowId("rc")
KEEP = Word("keep")  # keep the visit after all

# -- waiting-list offers -----------------------------------------------------------------------
TAKE_OFFER = RowId("wa")
DECLINE_OFFER = RowId("wd")

# -- documents and consents ------------------------------------------------------------------
OPEN_DOCUMENT = RowId("dop")  # a link to one of the patient's own documents
SHARE = Word("share")  # grant someone access to my documents
CONSENTS = Word("grants")  # my consents, to see and revoke
SHARED_WITH_ME = Word("shared")  # documents others let this chat's phone see
GRANTEE: Tagged[str] = Tagged("gk", str, _text)  # family or doctor
SHARE_DAYS = RowId("gd")  # the window, in days from now
REVOKE = RowId("grv")  # revoke one of my consents
SHARED_DOCUMENT: Tagged[tuple[int, int]] = Tagged(
    "gdo", lambda pair: f"{pair[0]}:{pair[1]}", _read_pair
)  # consent, document
