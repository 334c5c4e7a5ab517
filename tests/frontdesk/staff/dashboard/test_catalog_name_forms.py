"""An admin translating the catalog on the services page (frontdesk/staff/dashboard/
catalog_names.py) over HTTP, on SQLite and PostgreSQL: a service's and a branch's names
and a doctor's title, read back by the chat's catalog; an empty field falls back to
Polish; a registrar only reads; a hostile or over-long text is refused above its form."""

from __future__ import annotations

import pytest

from core.clinic.catalog import Catalog
from core.clinic.names import MAX_NAME, local_name
from core.clinic.translations import CatalogNames
from core.db.database import Database
from core.models import Service
from testkit.dashboard import Client, log_in
from testkit.staff_desk import Desk


async def _service(db: Database, service_id: int | None) -> Service:
    [found] = [s for s in await Catalog(db).services() if s.id == service_id]
    return found


async def _post(client: Client, path: str, token: str, **texts: str) -> tuple[int, str, str]:
    sent = await client.post(
        path,
        data={"csrf_token": token, "en": "", "uk": "", "ru": "", **texts},
        allow_redirects=False,
    )
    return sent.status, sent.headers.get("Location", ""), await sent.text()


async def test_an_admin_translates_a_service_a_branch_and_a_title_and_patients_read_them(
    client: Client, clinic: Desk, db: Database
) -> None:
    c = clinic.clinic
    assert c.internist.id is not None
    token = await log_in(client, "admin", language="en")
    status, location, _ = await _post(
        client,
        f"/staff/services/{c.consult.id}/names",
        token,
        en="Consultation",
        uk="Консультація",
        ru="Консультация",
    )
    assert (status, location) == (303, f"/staff/services#service-{c.consult.id}")
    status, location, _ = await _post(
        client, f"/staff/branches/{c.branch.id}/names", token, en="Mokotow branch", uk="Мокотів"
    )
    assert (status, location) == (303, f"/staff/services#branch-{c.branch.id}")
    status, _, _ = await _post(
        client, f"/staff/doctors/{c.internist.id}/titles", token, en="Dr", ru="врач"
    )
    assert status == 303
    shown = await (await client.get("/staff/services")).text()
    for text in ("uk: Консультація", "ru: Консультация", "Mokotow branch", "uk: Мокотів"):
        assert text in shown
    assert "Dr Anna Kowalska" in shown
    assert 'value="Консультація"' in shown  # the form holds what is stored
    service = await _service(db, c.consult.id)
    assert (local_name(service, "uk"), local_name(service, "pl")) == ("Консультація", "Konsultacja")
    [branch] = [b for b in await Catalog(db).branches() if b.id == c.branch.id]
    assert local_name(branch, "en") == "Mokotow branch"
    assert (await Catalog(db).doctor_names("ru"))[c.internist.id] == "врач Anna Kowalska"


async def test_an_empty_field_falls_back_to_polish_and_other_languages_are_kept(
    client: Client, clinic: Desk, db: Database
) -> None:
    consult = clinic.clinic.consult.id
    assert consult is not None
    await CatalogNames(db).set_service_names(
        consult, {"pl": "Konsultacja lekarska", "en": "Consultation", "uk": "Консультація"}
    )
    token = await log_in(client, "admin", language="en")
    status, _, _ = await _post(
        client, f"/staff/services/{consult}/names", token, en="  ", uk="Консультація"
    )
    assert status == 303
    service = await _service(db, consult)
    assert service.names == {"pl": "Konsultacja lekarska", "uk": "Консультація"}
    assert local_name(service, "en") == "Konsultacja"
    shown = await (await client.get("/staff/services")).text()
    assert "en: Consultation" not in shown


async def test_a_registrar_reads_the_texts_but_cannot_change_them(
    client: Client, clinic: Desk, db: Database
) -> None:
    consult = clinic.clinic.consult.id
    assert consult is not None
    await CatalogNames(db).set_service_names(consult, {"uk": "Консультація"})
    token = await log_in(client, "reg", language="en")
    shown = await (await client.get("/staff/services")).text()
    assert "uk: Консультація" in shown
    assert "/names" not in shown
    assert "/titles" not in shown
    for path in (
        f"/staff/services/{consult}/names",
        f"/staff/branches/{clinic.clinic.branch.id}/names",
        f"/staff/doctors/{clinic.clinic.internist.id}/titles",
    ):
        status, _, _ = await _post(client, path, token, en="Forged")
        assert status == 403, path
    assert (await _service(db, consult)).names == {"uk": "Консультація"}
    [branch] = [b for b in await Catalog(db).branches() if b.id == clinic.clinic.branch.id]
    assert branch.names == {}


async def test_a_form_without_the_sessions_token_is_refused(
    client: Client, clinic: Desk, db: Database
) -> None:
    await log_in(client, "admin", language="en")
    status, _, _ = await _post(client, f"/staff/services/{clinic.clinic.consult.id}/names", "x")
    assert status == 403
    assert (await _service(db, clinic.clinic.consult.id)).names == {}


@pytest.mark.parametrize(
    ("language", "text", "said"),
    [
        ("en", "Consul\x07tation", "holds control or invalid characters"),
        ("en", "Consul\x00tation", "holds control or invalid characters"),
        ("en", "x" * (MAX_NAME + 1), "The text is too long."),
        ("pl", "x" * (MAX_NAME + 1), "Tekst jest za długi."),
    ],
)
async def test_a_hostile_or_over_long_text_is_refused_above_its_form(
    client: Client, clinic: Desk, db: Database, language: str, text: str, said: str
) -> None:
    consult = clinic.clinic.consult.id
    token = await log_in(client, "admin", language=language)
    status, _, shown = await _post(
        client, f"/staff/services/{consult}/names", token, en=text, uk="Консультація"
    )
    assert status == 400
    row = shown.index(f'id="service-{consult}"')
    alert = shown.index('role="alert"', row)
    assert row < alert < shown.index(f'action="/staff/services/{consult}/names"')
    assert said in shown[alert:]
    assert 'value="Консультація"' in shown  # what was sent, to correct
    assert (await _service(db, consult)).names == {}
