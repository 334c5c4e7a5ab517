"""The wrapper around the flow's entry points (ivr/handlers.py), on SQLite and PostgreSQL: a
failure inside the flow is an apology in the line's language, not Twilio's error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db.database import Database
from testkit.fakes.twilio import VOICE_NUMBER
from testkit.ivr import CALLER, MakeClient
from testkit.phone import Phone


async def test_a_failure_inside_the_flow_is_an_apology_in_the_lines_language(
    make_client: MakeClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(ivr_languages={VOICE_NUMBER: "en"})
    phone = Phone(client, caller=CALLER)
    async with db.engine.begin() as conn:  # the calls' table gone: every call fails
        await conn.execute(text("ALTER TABLE call RENAME TO call_gone"))
    try:
        await phone.dial()
    finally:  # PostgreSQL's database serves the next tests
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE call_gone RENAME TO call"))
    assert phone.said() == "Sorry, something went wrong. Please call again in a moment."
    assert phone.verbs()[-1] == "Hangup"
    assert "voice flow failed" in caplog.text
    assert CALLER not in caplog.text
