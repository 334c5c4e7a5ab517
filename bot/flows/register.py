"""Who is booking: a new patient's card made in the chat from a name, a date of birth
and a phone number (shared with a button, or typed).

A step of the booking journey (`bot.flows.booking`), which asks for it before the first
booking or waiting-list entry of a chat without a card and says what comes next once the
card exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from bot import actions
from bot.actions import MenuItem
from bot.dates import parse_date
from bot.flows import privacy, whom
from bot.names import full_name
from bot.turn import Step, Turn
from core.clinic.restrictions import check_restrictions
from core.errors import DomainError
from core.models import Patient
from core.patients.cards import PatientDraft, normalize_contact, plausible_birth_date
from core.vocab import CHAT_CONTACTS, Channel, ContactKind

FIRST_STEP = "name"
PERSONAL = ("first_name", "last_name", "birth_date", "phone")  # kept only until confirmed
LINK_CARD = actions.MENU_ITEM.pack(MenuItem.LINK)
TALK_TO_A_PERSON = actions.MENU_ITEM.pack(MenuItem.HUMAN)

CONTACT_BUTTON = {Channel.TELEGRAM}  # the channels with a "share my phone number" button

Registered = Callable[[Turn], Awaitable[bool]]


async def _ask_name(turn: Turn) -> None:
    await privacy.tell_once(turn)
    if whom.for_someone_else(turn):  # the child's name was given: now the parent's own
        turn.say(turn._("Now your own first and last name, please, as the parent or guardian."))
        return
    turn.say(turn._("To book, I need your first and last name (e.g. Anna Kowalska)."))


async def _ask_dob(turn: Turn) -> None:
    turn.say(turn._("Your date of birth, please (DD.MM.YYYY)."))


async def _ask_phone(turn: Turn) -> None:
    if turn.incoming.channel in CONTACT_BUTTON:
        turn.say(
            turn._("Your phone number, please: press the button below or type it."),
            ask_contact=True,
        )
    else:
        turn.say(turn._("Your phone number, please (e.g. +48 501 234 567)."))


async def _on_name(turn: Turn, text: str | None) -> bool:
    if not text:
        return False
    name = full_name(text)
    if name is None:
        turn.say(turn._("Please give both your first and last name."))
        return True
    turn.data["first_name"], turn.data["last_name"] = name
    turn.at("dob")
    await _ask_dob(turn)
    return True


async def _on_dob(turn: Turn, text: str | None, registered: Registered) -> bool:
    if not text:
        return False
    born = parse_date(text)
    if born is not None and born > turn.services.clock.now().date():
        turn.say(turn._("A date of birth cannot be in the future. Please check it."))
        return True
    if born is None or not plausible_birth_date(born, turn.services.clock.now().date()):
        turn.say(turn._("I could not read that date. Please write it like 24.05.1987."))
        return True
    await _check_service(turn, born)
    turn.data["birth_date"] = born.isoformat()
    turn.at("phone")
    if turn.incoming.shared_phone:  # WhatsApp knows the number already
        return await _on_phone(turn, turn.incoming.shared_phone, registered)
    await _ask_phone(turn)
    return True


async def _on_phone(turn: Turn, text: str | None, registered: Registered) -> bool:
    text = turn.incoming.shared_phone or text
    if not text and turn.incoming.extras.get("content_type") == "contact":
        turn.say(
            turn._("That is someone else's contact. Please share your own number, or type it."),
            ask_contact=True,
        )
        return True
    if not text:
        return False
    return await _register(turn, text, registered)


async def _check_service(turn: Turn, born: date) -> None:
    """The chosen service's age and sex limits, checked as soon as the date of birth is
    known (not after every question): `RestrictionViolated` is explained by the dialog."""
    if "service" not in turn.data or whom.for_someone_else(turn):
        return  # a guardian's own date of birth says nothing of the child's visit
    service = await turn.services.catalog.service(turn.data["service"])
    start = turn.data.get("start")
    day = datetime.fromisoformat(start).date() if start else turn.services.clock.now().date()
    check_restrictions(service, Patient(first_name="", last_name="", birth_date=born), day)


def steps(registered: Registered) -> dict[str, Step]:
    """The steps, for the journey that asks them; `registered` goes on once the card is made."""
    return {
        "name": Step(_ask_name, lambda turn, _action, text: _on_name(turn, text)),
        "dob": Step(_ask_dob, lambda turn, _action, text: _on_dob(turn, text, registered)),
        "phone": Step(_ask_phone, lambda turn, _action, text: _on_phone(turn, text, registered)),
    }


async def _register(turn: Turn, phone: str, registered: Registered) -> bool:
    """The phone is checked and kept with the answers; the card is made only when the
    patient confirms (`make_card`), so an abandoned booking leaves nothing behind."""
    try:
        phone = normalize_contact(ContactKind.PHONE, phone)
        taken = await turn.services.patients.find_by_contact(ContactKind.PHONE, phone)
    except DomainError:
        turn.say(
            turn._("That does not look like a phone number. Please try again."),
            ask_contact=turn.incoming.channel in CONTACT_BUTTON,
        )
        return True
    if taken is not None:
        _phone_taken(turn)
        return True
    turn.data["phone"] = phone
    return await registered(turn)


def _phone_taken(turn: Turn) -> None:
    turn.say(
        turn._(
            "This phone number already belongs to a clinic card. Link your card with "
            "a code, or talk to a person."
        ),
        [
            [turn.button(turn._("🔗 Link my clinic card"), LINK_CARD)],
            [turn.button(turn._("🧑‍💼 Talk to a person"), TALK_TO_A_PERSON)],
        ],
    )


def draft_birth_date(turn: Turn) -> date | None:
    """The date of birth a new patient gave in this booking, before their card exists."""
    born = turn.data.get("birth_date")
    return date.fromisoformat(born) if born else None


async def make_card(turn: Turn) -> bool:
    """The new patient's card from the answers kept in the chat; False (and said why)
    when the phone was taken meanwhile."""
    kind = CHAT_CONTACTS[turn.incoming.channel]
    contacts = {ContactKind.PHONE: turn.data["phone"]}
    if kind is not ContactKind.PHONE:
        contacts = {kind: turn.incoming.chat_id, **contacts}
    try:
        patient = await turn.services.patients.register(
            PatientDraft(
                first_name=turn.data["first_name"],
                last_name=turn.data["last_name"],
                birth_date=date.fromisoformat(turn.data["birth_date"]),
                language=turn.texts.language,
                contacts=contacts,
            )
        )
    except DomainError:
        _phone_taken(turn)
        return False
    for key in PERSONAL:
        turn.data.pop(key, None)
    turn.patient_id = patient.id
    return True
