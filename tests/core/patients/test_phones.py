"""Cards found by phone number (core/patients/phones.py): however the number is written,
it is read into E.164 and matched to the card's stored contacts."""

from __future__ import annotations

from core.clock import FrozenClock
from core.db.database import Database
from core.patients.cards import PatientDraft, PatientService
from core.patients.phones import PhoneCards, e164
from core.vocab import ContactKind


def test_a_number_is_read_into_e164_or_refused() -> None:
    assert e164("601 234 567") == "+48601234567"
    assert e164("+48 601-234-567") == "+48601234567"
    assert e164("whatsapp:+48601234567") == "+48601234567"
    assert e164("anonymous") is None
    assert e164("12") is None


async def test_a_number_written_any_way_finds_its_card(db: Database, clock: FrozenClock) -> None:
    patients = PatientService(db, clock)
    anna = await patients.register(
        PatientDraft("Anna", "Nowak", contacts={ContactKind.PHONE: "601 234 567"})
    )
    ola = await patients.register(
        PatientDraft("Ola", "Wiśniewska", contacts={ContactKind.WHATSAPP: "+48 602 000 111"})
    )
    found = await PhoneCards(db).cards(
        ["+48601234567", "601234567", "+48602000111", "+48603000000", "anonymous"]
    )
    assert {phone: card.id for phone, card in found.items()} == {
        "+48601234567": anna.id,
        "601234567": anna.id,
        "+48602000111": ola.id,
    }
    assert await PhoneCards(db).card("anonymous") is None
