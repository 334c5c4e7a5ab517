"""Patients' identifiers (PESEL, phones, e-mail) and cards with many contacts."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import EmailInvalid, InvalidInput, PeselInvalid, PhoneInvalid
from core.patients.cards import PatientDraft, PatientService, age_on, is_minor
from core.patients.identity import normalize_email, normalize_pesel, normalize_phone
from core.vocab import ContactKind, Sex


def test_pesel_checksum_date_and_consistency():
    assert normalize_pesel("44051401359") == "44051401359"
    assert normalize_pesel("44051401359", birth_date=date(1944, 5, 14), sex=Sex.MALE)
    for bad in ("44051401358", "02381307589", "4405140135", "abcdefghijk"):
        with pytest.raises(PeselInvalid):
            normalize_pesel(bad)
    with pytest.raises(PeselInvalid) as raised:
        normalize_pesel("44051401359", birth_date=date(1944, 5, 15))
    assert raised.value.details["reason"] == "birth_date"
    assert "44051401359" not in str(raised.value)  # never echoed: errors end up in logs
    with pytest.raises(PeselInvalid):
        normalize_pesel("44051401359", sex=Sex.FEMALE)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("501 234 567", "+48501234567"),
        ("+48 (22) 100-00-00", "+48221000000"),
        ("0048501234567", "+48501234567"),
        ("+380 67 123 4567", "+380671234567"),
    ],
)
def test_phones_become_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12", "not a phone", "+48 000 000 000"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(PhoneInvalid):
        normalize_phone(raw)


def test_email():
    assert normalize_email(" Jan.Kowalski@Example.PL ".strip()) == "jan.kowalski@example.pl"
    with pytest.raises(EmailInvalid):
        normalize_email("jan@")


def test_age_and_minors():
    assert age_on(date(2010, 6, 15), date(2028, 6, 14)) == 17
    assert age_on(date(2010, 6, 15), date(2028, 6, 15)) == 18
    assert is_minor(date(2010, 6, 15), date(2028, 6, 14))
    assert not is_minor(None, date(2028, 6, 14))


async def test_register_fills_birth_date_and_sex_from_pesel(db, clock):
    service = PatientService(db, clock)
    patient = await service.register(
        PatientDraft(
            first_name=" Jan ",
            last_name="Kowalski",
            pesel="44051401359",
            contacts={
                ContactKind.PHONE: "501 234 567",
                ContactKind.EMAIL: "Jan@Example.pl",
                ContactKind.TELEGRAM: "123456789",
            },
        )
    )
    assert (patient.first_name, patient.birth_date, patient.sex) == (
        "Jan",
        date(1944, 5, 14),
        Sex.MALE,
    )
    found = await service.find_by_contact(ContactKind.PHONE, "+48501234567")
    assert found is not None
    assert found.id == patient.id
    assert (await service.find_by_contact(ContactKind.EMAIL, "jan@example.pl")).id == patient.id
    contacts = await service.contacts(patient.id)
    assert [c.kind for c in contacts] == [
        ContactKind.PHONE,
        ContactKind.EMAIL,
        ContactKind.TELEGRAM,
    ]


async def test_one_pesel_and_one_contact_belong_to_one_card(db, clock):
    service = PatientService(db, clock)
    first = await service.register(
        PatientDraft(
            first_name="Jan",
            last_name="Kowalski",
            pesel="44051401359",
            contacts={ContactKind.PHONE: "501234567"},
        )
    )
    with pytest.raises(InvalidInput):
        await service.register(PatientDraft(first_name="Jan", last_name="K", pesel="44051401359"))
    with pytest.raises(InvalidInput):
        await service.register(
            PatientDraft(
                first_name="Adam",
                last_name="Nowak",
                contacts={ContactKind.PHONE: "+48 501 234 567"},
            )
        )
    other = await service.register(PatientDraft(first_name="Adam", last_name="Nowak"))
    with pytest.raises(InvalidInput):
        await service.add_contact(other.id, ContactKind.PHONE, "501234567")
    await service.add_contact(first.id, ContactKind.PHONE, "501234567")  # already its own: fine
    assert len(await service.contacts(first.id)) == 1


@pytest.mark.parametrize(
    "draft",
    [
        PatientDraft(first_name="", last_name="Nowak"),
        PatientDraft(first_name="A" * 101, last_name="Nowak"),
        PatientDraft(first_name="Adam", last_name="Nowak", birth_date=date(2030, 1, 1)),
        PatientDraft(first_name="Adam", last_name="Nowak", contacts={ContactKind.EMAIL: "x@"}),
    ],
)
async def test_bad_cards_are_refused(db, clock, draft):
    with pytest.raises((InvalidInput, EmailInvalid)):
        await PatientService(db, clock).register(draft)
