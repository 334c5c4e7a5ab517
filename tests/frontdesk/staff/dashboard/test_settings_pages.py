"""The reminder rules as the desk reads them (frontdesk/staff/dashboard/settings_pages.py) over
HTTP, on SQLite and PostgreSQL: a template previewed with the clinic's data, and saved by
an admin once it checks."""

from __future__ import annotations

from dataclasses import replace

from core.clinic.translations import CatalogNames
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.reminder_rules import ReminderRules, default_rules
from testkit.dashboard import Client, log_in
from testkit.staff_desk import Desk


async def test_a_reminder_template_is_previewed_with_the_clinics_data(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    rule = await ReminderRules(db, clock).add(default_rules()[0])
    token = await log_in(client, "admin")
    shown = await client.post(
        f"/staff/reminders/{rule.id}/preview",
        data={"csrf_token": token, "language": "en", "text": "{{ clinic }} on {{ date }}"},
    )
    assert "Przychodnia Testowa on Wednesday, 2 December 2026" in await shown.text()
    wrong = await client.post(
        f"/staff/reminders/{rule.id}/preview",
        data={"csrf_token": token, "language": "en", "text": "{{ pesel }}"},
    )
    assert "pesel" in await wrong.text()


async def test_an_admin_saves_a_reminder_text_once_it_checks(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    rules = ReminderRules(db, clock)
    rule = await rules.add(default_rules()[0])
    before = dict(rule.templates)
    token = await log_in(client, "reg")
    refused = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "Hello {{ first_name }}"},
    )
    assert refused.status == 403
    token = await log_in(client, "admin")
    wrong = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "{{ pesel }}"},
    )
    assert "unknown parameters: pesel" in await wrong.text()
    [unchanged] = await rules.all()
    assert unchanged.templates == before
    saved = await client.post(
        f"/staff/reminders/{rule.id}/save",
        data={"csrf_token": token, "language": "en", "text": "Hello {{ first_name }}"},
        allow_redirects=False,
    )
    assert saved.status == 303
    [changed] = await rules.all()
    assert changed.templates == {**before, "en": "Hello {{ first_name }}"}


async def test_the_services_read_in_the_members_language_with_their_translations(
    client: Client, clinic: Desk, db: Database
) -> None:
    consult = clinic.clinic.consult.id
    assert consult is not None
    await CatalogNames(db).set_service_names(consult, {"en": "Consultation", "uk": "Консультація"})
    await log_in(client, "reg", language="en")
    shown = await (await client.get("/staff/services")).text()
    assert "Consultation" in shown
    assert "(Konsultacja)" in shown  # the Polish name, every language's fallback
    assert "uk: Консультація" in shown


async def test_reminder_rules_are_named_in_the_members_language(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    rules = ReminderRules(db, clock)
    for draft in default_rules():
        await rules.add(draft)
    await rules.add(replace(default_rules()[0], name="Przypomnienie VIP"))
    await log_in(client, "reg", language="pl")
    page = await (await client.get("/staff/reminders")).text()
    assert "Dzień przed wizytą, o 18:00" in page
    assert "120 min przed wizytą umówioną tego samego dnia" in page
    assert "Gdy wynik badania jest gotowy" in page
    assert "Day before the visit" not in page
    assert "Lab result ready" not in page
    assert "Przypomnienie VIP" in page  # a name the clinic gave is kept
    await log_in(client, "reg", language="uk")
    assert "За день до візиту, о 18:00" in await (await client.get("/staff/reminders")).text()
