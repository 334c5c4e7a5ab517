"""Prescription renewal by phone (ivr/prescription.py), end to end on SQLite and PostgreSQL:
the medicine said aloud or recorded, left as a task for the staff."""

from __future__ import annotations

from core.clock import FrozenClock
from core.db.database import Database
from core.models import StaffTask
from core.vocab import CallOutcome, TaskKind
from testkit.factories import adult
from testkit.ivr import BORN, CALLER, Client, assert_prompt, rows, the_call
from testkit.phone import Phone


async def test_a_prescription_request_by_speech_and_by_recording(
    client: Client, db: Database, clock: FrozenClock
) -> None:
    patient_id = await adult(db, clock)
    phone = Phone(client, caller=CALLER)
    await phone.dial()
    await phone.press("3")
    await phone.press(BORN)
    assert_prompt(phone)
    await phone.say("Metformina 500 miligramów")
    assert "Dziękujemy" in phone.said()
    await phone.press("3")  # again: already identified in this call
    await phone.press("1")  # leave a recording instead
    assert phone.verbs()[-2:] == ["Record", "Redirect"]
    record = phone.twiml.find("Record")
    assert record is not None
    assert record.get("finishOnKey") == "#"
    phone.twiml = await phone.post(
        record.get("action") or "",
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        RecordingDuration="14",
    )
    assert_prompt(phone)

    spoken, recorded = await rows(db, StaffTask)
    assert spoken.kind is recorded.kind is TaskKind.PRESCRIPTION
    assert spoken.patient_id == recorded.patient_id == patient_id
    assert spoken.details["transcript"] == "Metformina 500 miligramów"
    assert recorded.details["recording_url"].endswith("/Recordings/RE1")
    assert (await the_call(db, phone)).outcome is CallOutcome.TASK
