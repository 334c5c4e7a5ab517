"""What a careless or hostile client sends `/fhir` is refused clearly, as an
OperationOutcome with the right status, before anything acts on it, and without
quoting it back."""

from __future__ import annotations

import json

import pytest

from core.models import Booking, Patient
from testkit.factories import count_rows, warsaw_at
from testkit.fhir_api import PESEL, parameters, patient, start_fhir, valid


@pytest.fixture
async def api(aiohttp_client, database_url, db, clock):
    return await start_fhir(aiohttp_client, database_url, db, clock)


async def _post(api, path: str, data, content_type: str = "application/fhir+json"):
    response = await api.client.post(
        "/fhir" + path,
        data=data,
        headers={"Authorization": f"Bearer {api.tokens['luxmed']}", "Content-Type": content_type},
    )
    assert response.content_type == "application/fhir+json"
    return response.status, valid(await response.json(content_type=None))


def _issue(body) -> tuple[str, str, list[str] | None]:
    [issue] = body["issue"]
    return issue["code"], issue["details"]["coding"][0]["code"], issue.get("expression")


@pytest.mark.parametrize(
    ("data", "content_type", "status", "expected"),
    [
        (b"{not json", "application/fhir+json", 400, ("invalid", "invalid_input", ["body"])),
        (b"[1, 2]", "application/json", 400, ("invalid", "invalid_input", ["body"])),
        (
            b"[" * 10_000 + b"]" * 10_000,
            "application/json",
            400,
            ("invalid", "invalid_input", ["body"]),
        ),
        (
            json.dumps(patient()).encode(),
            "application/fhir+json",
            400,
            ("invalid", "invalid_input", ["resourceType"]),
        ),
        (b"{}", "text/plain", 415, ("not-supported", "unsupported_media_type", ["Content-Type"])),
        (
            json.dumps({"resourceType": "Parameters", "parameter": "x"}).encode(),
            "application/fhir+json",
            400,
            ("invalid", "invalid_input", ["parameter"]),
        ),
    ],
)
async def test_a_body_that_is_not_fhir_parameters_is_refused(
    api, data, content_type, status, expected
):
    got, body = await _post(api, "/Appointment/$hold", data, content_type)
    assert (got, _issue(body)) == (status, expected)


async def test_a_huge_body_is_refused_whether_declared_or_streamed(api, db):
    huge = json.dumps(parameters(note="x" * 100_000)).encode()
    status, body = await _post(api, "/Appointment/$book", huge)
    assert (status, _issue(body)[0]) == (413, "too-long")

    async def stream():
        for _ in range(100):
            yield b"x" * 1024

    status, body = await _post(api, "/Appointment/$book", stream())
    assert (status, _issue(body)[0]) == (413, "too-long")
    assert await count_rows(db, Booking) == 0


async def test_wrong_references_and_patients_are_refused_without_being_quoted(api, db, clock):
    [option] = await api.find(warsaw_at(clock, 1, 9), warsaw_at(clock, 1, 10), _count="1")
    cases = [
        (parameters(appointment_reference="Appointment/p-1-x"), 404, "not_found"),
        (parameters(appointment_reference="Patient/1"), 400, "invalid_input"),
        (
            parameters(appointment_reference=f"Appointment/{option['id']}"),
            400,
            "invalid_input",  # no patient
        ),
        (
            parameters(
                appointment_reference=f"Appointment/{option['id']}",
                patient={"resourceType": "Patient", "name": [{"family": "Nowak"}]},
            ),
            400,
            "invalid_input",
        ),
        (
            parameters(
                appointment_reference=f"Appointment/{option['id']}",
                patient=patient(identifier=[{"system": PESEL, "value": "80050101204"}]),
            ),
            400,
            "pesel_invalid",
        ),
    ]
    for body, status, code in cases:
        got, answer = await _post(api, "/Appointment/$book", json.dumps(body).encode())
        assert (got, _issue(answer)[1]) == (status, code)
        assert "80050101204" not in json.dumps(answer)
        assert "Nowak" not in json.dumps(answer)
    assert await count_rows(db, Booking) == 0
    assert await count_rows(db, Patient) == 0


@pytest.mark.parametrize(
    "query",
    [
        "service-type=CONS&colour=red",  # a parameter we do not know
        "service-type=CONS&_count=0",
        "service-type=CONS&_count=1000",
        "service-type=CONS&start=ge2026-13-01",
        "service-type=CONS&start=ge2026-12-02T10:00:00",  # no zone
        "service-type=CONS&start=ge2026-12-05&start=lt2026-12-03",  # empty
        "schedule.actor=Patient/1",
        "schedule=Schedule/1",
        "status=busy",
    ],
)
async def test_a_slot_search_it_cannot_answer_is_refused(api, query):
    outcome = await api.call("GET", "/Slot?" + query, status=400)
    assert _issue(outcome)[0] == "invalid"


async def test_find_needs_a_period_and_a_service(api):
    for query in ("service-type=CONS&start=2026-12-02", "start=2026-12-02&end=2026-12-03"):
        await api.call("GET", "/Appointment/$find?" + query, status=400)
    outcome = await api.call(
        "GET", "/Appointment/$find?service-type=NOPE&start=2026-12-02&end=2026-12-03", status=404
    )
    assert _issue(outcome)[2] == ["service-type"]


async def test_unknown_paths_and_methods_are_operation_outcomes_too(api):
    await api.call("GET", "/Observation", status=404)
    await api.call("DELETE", "/Appointment/$book", status=405)
    await api.call("GET", "/Appointment/not_an_id!", status=404)
    # ... while the rest of the app keeps its own JSON errors.
    response = await api.client.get("/api/v1/nothing-here")
    assert (await response.json())["error"]["code"] == "not_found"
