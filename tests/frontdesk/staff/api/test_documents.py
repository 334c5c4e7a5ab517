"""Documents through the staff API over real HTTP, on SQLite and PostgreSQL: a
laboratory's narrowed token adds and reads nothing; registrars within their branches,
doctors within their own visits; bad files refused with a clear error naming nothing of
the file; paper consents, revocation, the access log, retention; and the dashboard's
page, upload and logged file."""

from __future__ import annotations

import base64
import io
import json
import re

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk import keys
from testkit.dashboard import log_in
from testkit.documents import CDA, MARKERS, PDF, SECRET_TITLE
from testkit.fakes.document_store import RecordedCodes
from testkit.staff_api import World, start_world


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock, tmp_path
) -> World:
    return await start_world(
        aiohttp_client,
        database_url,
        db,
        clock,
        documents_dir=tmp_path,
        public_base_url="http://clinic.example",
    )


def upload(**changes: object) -> dict[str, object]:
    return {
        "kind": "lab_result",
        "name": SECRET_TITLE,
        "issued_on": "2026-11-30",
        "author": "Laboratorium Centralne",
        "content_base64": base64.b64encode(PDF).decode(),
    } | changes


async def lab_token(world: World) -> str:
    issued = await world.call(
        "admin", "POST", "/me/tokens", json={"name": "lab", "scope": "documents:add"}, status=201
    )
    return str(issued["token"])


async def test_a_laboratorys_token_adds_documents_and_reads_nothing(world: World) -> None:
    world.tokens["lab"] = await lab_token(world)
    patient = world.patient_id
    added = await world.call(
        "lab",
        "POST",
        f"/patients/{patient}/documents",
        json=upload(booking_id=world.booking_a, structured_base64=base64.b64encode(CDA).decode()),
        status=201,
    )
    assert set(added) == {"id"}
    for method, path in (
        ("GET", f"/patients/{patient}/documents"),
        ("GET", f"/patients/{patient}/documents/access-log"),
        ("GET", f"/patients/{patient}"),
        ("GET", f"/patients/{patient}/export"),
        ("GET", f"/patients/{patient}/consents"),
        ("GET", "/me/tokens"),
        ("GET", "/bookings"),
    ):
        refused = await world.call("lab", method, path, status=403)
        assert refused["error"]["reason"] == "token_scope"
    await world.call("lab", "POST", "/me/tokens", json={"name": "more"}, status=403)
    file = await world.client.get(f"/staff/documents/{added['id']}/file", headers=world.auth("lab"))
    assert file.status == 403
    listed = await world.call("admin", "GET", f"/patients/{patient}/documents")
    assert [d["id"] for d in listed["items"]] == [added["id"]]
    assert listed["items"][0]["has_structured"] is True
    assert listed["items"][0]["added_by"] == "admin"


async def test_registrars_see_their_branches_and_doctors_their_own_visits(world: World) -> None:
    patient = world.patient_id
    at_a = await world.call(
        "registrar",
        "POST",
        f"/patients/{patient}/documents",
        json=upload(booking_id=world.booking_a),
        status=201,
    )
    at_b = await world.call(
        "other_registrar",
        "POST",
        f"/patients/{patient}/documents",
        json=upload(booking_id=world.booking_b),
        status=201,
    )
    await world.call(
        "registrar",
        "POST",
        f"/patients/{patient}/documents",
        json=upload(booking_id=world.booking_b),
        status=403,
    )
    await world.call("doctor", "POST", f"/patients/{patient}/documents", json=upload(), status=403)

    async def seen(who: str) -> list[int]:
        found = await world.call(who, "GET", f"/patients/{patient}/documents")
        return [d["id"] for d in found["items"]]

    assert await seen("registrar") == [at_b["id"], at_a["id"]][1:]
    assert await seen("other_registrar") == [at_b["id"]]
    assert await seen("doctor") == [at_a["id"]]  # the internist's own visit
    assert sorted(await seen("admin")) == sorted([at_a["id"], at_b["id"]])
    for who, document, status in (
        ("other_registrar", at_a["id"], 404),
        ("doctor", at_b["id"], 404),
        ("doctor", at_a["id"], 200),
        ("registrar", at_a["id"], 200),
    ):
        response = await world.client.get(
            f"/staff/documents/{document}/file", headers=world.auth(who)
        )
        assert response.status == status, who
        if status == 200:
            assert await response.read() == PDF
            assert "no-store" in response.headers["Cache-Control"]
            assert SECRET_TITLE not in response.headers["Content-Disposition"]
        else:
            body = await response.text()
            assert not any(marker in body for marker in MARKERS)
    log = await world.call("admin", "GET", f"/patients/{patient}/documents/access-log")
    assert [(a["opener"], a["opened_by"], a["channel"]) for a in log["items"]] == [
        ("staff", "reg", "staff"),
        ("staff", "kowalska", "staff"),
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"content_base64": base64.b64encode(b"MZ\x90\x00 not a pdf").decode()}, "file_not_pdf"),
        ({"name": "../../wynik.pdf"}, "file_name"),
        ({"name": "wynik\u202efdp.exe"}, "file_name"),
        ({"structured_base64": base64.b64encode(b"<a>").decode()}, "structured_not_xml"),
    ],
)
async def test_bad_files_are_refused_with_a_clear_error(world: World, changes, reason) -> None:
    refused = await world.call(
        "registrar",
        "POST",
        f"/patients/{world.patient_id}/documents",
        json=upload(booking_id=world.booking_a, **changes),
        status=400,
    )
    assert refused["error"]["reason"] == reason
    assert not any(marker in str(refused) for marker in MARKERS)
    assert (await world.call("admin", "GET", f"/patients/{world.patient_id}/documents"))[
        "items"
    ] == []


async def test_a_body_over_the_upload_limit_is_refused(world: World) -> None:
    huge = base64.b64encode(b"%PDF-" + b"0" * (11 * 1024 * 1024)).decode()
    body = json.dumps(upload(booking_id=world.booking_a, content_base64=huge)).encode()
    response = await world.client.post(
        f"/api/v1/patients/{world.patient_id}/documents",
        data=io.BytesIO(body),
        headers={**world.auth("registrar"), "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["reason"] == "file_too_large"


async def test_paper_consents_revocation_export_and_retention(world: World) -> None:
    patient = world.patient_id
    consent = await world.call(
        "registrar",
        "POST",
        f"/patients/{patient}/consents",
        json={
            "grantee_kind": "doctor",
            "phone": "+48 600 100 200",
            "name": "dr Zewnętrzny",
            "valid_from": "2026-12-01T00:00:00Z",
            "valid_until": "2026-12-31T00:00:00Z",
        },
        status=201,
    )
    assert (consent["source"], consent["recorded_by"]) == ("paper", "reg")
    await world.call(
        "registrar", "POST", f"/patients/{patient}/consents/{consent['id']}/revoke", status=204
    )
    await world.call(
        "registrar", "POST", f"/patients/{patient}/consents/{consent['id']}/revoke", status=404
    )
    listed = await world.call("admin", "GET", f"/patients/{patient}/consents")
    assert listed["items"][0]["revoked_by"] == "reg"
    exported = await world.call("admin", "GET", f"/patients/{patient}/export")
    assert [c["id"] for c in exported["document_consents"]] == [consent["id"]]
    await world.call("registrar", "GET", "/documents/retention", status=403)
    await world.call(
        "admin", "PUT", "/documents/retention/lab_result", json={"days": 3650}, status=204
    )
    await world.call("admin", "PUT", "/documents/retention/nonsense", json={"days": 1}, status=404)
    kinds = await world.call("admin", "GET", "/documents/retention")
    assert {"kind": "lab_result", "days": 3650} in kinds["items"]


async def test_the_desk_page_uploads_lists_and_refuses_a_disguised_file(world: World) -> None:
    token = await log_in(world.client, "reg")
    page_url = f"/staff/patients/{world.patient_id}/documents"

    def form(content: bytes, name: str) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("csrf_token", token)
        data.add_field("kind", "lab_result")
        data.add_field("issued_on", "2026-11-30")
        data.add_field("author", "Lab")
        data.add_field("booking_id", str(world.booking_a))
        data.add_field("file", content, filename=name, content_type="application/pdf")
        return data

    bad = await world.client.post(page_url, data=form(b"MZ\x90\x00 exe", SECRET_TITLE))
    body = await bad.text()
    assert bad.status == 400
    assert "not a PDF" in body
    assert f'action="{page_url}"' in body  # said above the form, to try again at once
    assert "Back to today" not in body  # not the error page
    assert not any(marker in body for marker in MARKERS)
    good = await world.client.post(page_url, allow_redirects=False, data=form(PDF, SECRET_TITLE))
    assert good.status == 303
    listed = await world.client.get(page_url)
    html = await listed.text()
    assert SECRET_TITLE in html  # the desk sees the name it was given
    document_id = int(re.search(r"/staff/documents/(\d+)/file", html)[1])  # type: ignore[index]
    file = await world.client.get(f"/staff/documents/{document_id}/file")
    assert await file.read() == PDF
    services = world.client.app[keys.SERVICES]
    [row] = await services.documents.access_log(world.patient_id)
    assert row.opened_by == "reg"
    services.document_links.sender = codes = RecordedCodes()
    sent = await world.client.post(
        f"/staff/documents/{document_id}/send-link", data={"csrf_token": token}
    )
    assert sent.status == 200  # back on the page, which says so
    assert "sent by SMS" in await sent.text()
    phone, url, _ = codes.links[-1]
    assert phone == "+48501000001"
    assert url.startswith("http://clinic.example/documents/open/")
    assert not any(marker in url for marker in MARKERS)
