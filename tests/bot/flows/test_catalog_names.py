"""The chat names the catalog in the patient's language, Polish where no translation is
stored, and a translated name typed in is understood."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col

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
