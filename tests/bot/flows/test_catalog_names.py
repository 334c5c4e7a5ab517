"""The chat names the catalog in the patient's language, Polish where no translation is
stored, and a translated name typed in is understood."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col

from core.clinic.translations import CatalogNames
from core.models import Service
from testkit.chat import Patient as Chat
from testkit.chat import make_dialog
from testkit.factories import small_clinic


async def _translate(db, service_id: int, names: dict[str, str]) -> None:
    async def work(session):
        await session.execute(
            update(Service).where(col(Service.id) == service_id).values(names=names)
        )

    await db.write(work)


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "Consultation"), ("uk", "Консультація"), ("ru", "Konsultacja"), ("pl", "Konsultacja")],
)
async def test_services_are_named_in_the_patients_language(db, clock, language, shown):
    c = await small_clinic(db, clock)
    await _translate(db, c.consult.id, {"en": "Consultation", "uk": "Консультація"})
    chat = Chat(make_dialog(db, clock), chat_id=f"801{language}", language=language)
    await chat.send("/start")
    await chat.send(payload="m:book")
    assert shown in chat.buttons()


async def test_a_translated_name_typed_in_is_found_and_said_back(db, clock):
    c = await small_clinic(db, clock)
    await _translate(db, c.ultrasound.id, {"en": "Breast ultrasound"})
    chat = Chat(make_dialog(db, clock), chat_id="802", language="en")
    await chat.send("/start")
    await chat.send("breast ultrasound")
    assert "Breast ultrasound" in chat.text


async def test_the_confirmation_names_the_branch_and_the_doctors_title_in_the_patients_language(
    db, clock
):
    c = await small_clinic(db, clock)
    names = CatalogNames(db)
    await names.set_branch_names(c.branch.id, {"en": "Mokotow branch"})
    await names.set_doctor_titles(c.internist.id, {"en": "Dr"})
    chat = Chat(make_dialog(db, clock), chat_id="803", language="en")
    await chat.send("/start")
    await chat.send(payload="m:book")
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:"))
    await chat.send(payload=chat.first_button("t:"))
    await chat.send("Anna Nowak")
    await chat.send("24.05.1987")
    await chat.send(phone="+48501234599")
    assert "Dr Anna Kowalska" in chat.text
    assert "Mokotow branch" in chat.text
