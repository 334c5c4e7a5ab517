"""Who is calling (ivr/identify.py), end to end on SQLite and PostgreSQL: an unknown number
books with a spoken name, and a task is left for the staff to complete the card."""

from __future__ import annotations

from core.db.database import Database
from core.models import Booking, Patient, StaffTask
from core.vocab import TaskKind
from testkit.ivr import Client, assert_prompt, rows
from testkit.phone import Phone


async def test_an_unknown_caller_books_with_a_spoken_name_and_leaves_a_task(
    client: Client, db: Database
) -> None:
    phone = Phone(client, caller="+48601999888")
    await phone.dial()
    await phone.press("1")
    assert_prompt(phone, listens="speech")
    await phone.say("Jan Kowalski")
    await phone.press("12031975")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    assert "zarezerwowana" in phone.said()

    (patient,) = await rows(db, Patient)
    assert (patient.first_name, patient.last_name) == ("Jan", "Kowalski")
    assert patient.needs_verification
    assert patient.birth_date is not None
    (task,) = await rows(db, StaffTask)
    assert task.kind is TaskKind.COMPLETE_CARD
    assert task.patient_id == patient.id
    assert task.phone == "+48601999888"
    assert task.details == {"spoken_name": "Jan Kowalski"}
    (booking,) = await rows(db, Booking)
    assert booking.patient_id == patient.id


async def test_a_spoken_name_with_a_nul_byte_is_cleaned_not_an_error(
    client: Client, db: Database
) -> None:
    phone = Phone(client, caller="+48601999887")
    await phone.dial()
    await phone.press("1")
    await phone.say("Jan\x00 Kowalski\x07")
    await phone.press("12031975")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    await phone.press("1")
    assert "zarezerwowana" in phone.said()
    (patient,) = await rows(db, Patient)
    assert (patient.first_name, patient.last_name) == ("Jan", "Kowalski")


async def test_the_english_menu_reads_the_specialties_in_english(
    client: Client, db: Database
) -> None:
    from sqlalchemy import update
    from sqlmodel import col

    from core.models import Specialty

    async def translate(session) -> None:
        await session.execute(
            update(Specialty)
            .where(col(Specialty.code) == "internal")
            .values(names={"en": "Internal medicine"})
        )

    await db.write(translate)
    phone = Phone(client, caller="+48601999886")
    await phone.dial()
    await phone.press("9")  # English
    await phone.press("1")
    await phone.say("Jan Kowalski")
    await phone.press("12031975")
    assert "Internal medicine: press 1" in phone.said()
    assert "Pediatria" in phone.said()  # no English name stored: the Polish one
