"""The contract check catches what breaks Docplanner's published document: the excerpt is
a valid OpenAPI document; a wrong request, a wrong answer, an unknown operation, a status
or content type the document doesn't give, a notification body off its callback's schema,
a token asked for wrongly; and a violation fails the test that caused it."""

from __future__ import annotations

import json

import pytest
import yaml
from openapi_spec_validator import validate

from testkit.factories import warsaw_at
from testkit.fakes.docplanner.replies import ERROR, SUCCESS
from testkit.fakes.docplanner.wire import Exchange
from tests.partners.contract.openapi import SPEC, ContractWatch, contract
from tests.partners.fake_session import BASE, PATIENT, offer, period, session

MULTIPLE = "/api/v3/integration/notifications/multiple"


def exchange(method: str, path: str, status: int, answer: object = None, **kw) -> Exchange:
    body = json.dumps(answer).encode() if answer is not None else b""
    return Exchange(
        method=method,
        path=path,
        query=kw.pop("query", ()),
        headers={"Authorization": "Bearer t", **kw.pop("headers", {})},
        body=kw.pop("body", b""),
        status=status,
        response_headers={"Content-Type": kw.pop("content_type", SUCCESS)} if body else {},
        response_body=body,
        injected=False,
    )


def problems(found: Exchange) -> list[str]:
    return [str(v) for v in contract().check_exchange(found)]


def test_the_excerpt_is_a_valid_openapi_document():
    validate(yaml.safe_load(SPEC.read_text()))


async def test_a_slots_body_without_start_is_caught_and_fails_the_test(
    aiohttp_client, clock, docplanner_contract
):
    s = await session(aiohttp_client, clock)
    entry = period(clock, 1, 8, 12, offer())
    del entry["start"]
    response = await s.publish(entry)
    assert response.status == 400  # the fake refuses it, as Docplanner would
    [violation] = docplanner_contract.violations
    assert violation.operation.startswith("replaceSlots (PUT ")
    assert "'start' is a required property" in violation.problem
    assert "replaceSlots" in docplanner_contract.report()
    docplanner_contract.violations.clear()


async def test_a_misnamed_field_in_a_request_is_caught(aiohttp_client, clock, docplanner_contract):
    s = await session(aiohttp_client, clock)
    await s.publish(period(clock, 1, 8, 12, offer()))
    body = {"address_service_id": "as-1", "duration": 30, "patient": PATIENT, "pesel": "1"}
    at = warsaw_at(clock, 1, 8).isoformat().replace("+", "%2B")
    await s.call("POST", f"{BASE}/slots/{at}/book", json=body)
    [violation] = docplanner_contract.violations
    assert "'pesel' was unexpected" in violation.problem
    docplanner_contract.violations.clear()


def test_a_wrong_answer_is_caught():
    [found] = problems(exchange("GET", MULTIPLE, 200, {"_items": []}))
    assert found.startswith("Pull Multiple Notification (GET")
    assert "'_items'" in found
    right = {"notifications": [], "remaining": 0}
    assert problems(exchange("GET", MULTIPLE, 200, right)) == []
    # Each pulled notification is held to its callback.
    pulled = {"notifications": [{"name": "slot-booked", "data": {"visit_booking": {"id": 1}}}],
              "remaining": 0}  # fmt: skip
    [found] = problems(exchange("GET", MULTIPLE, 200, pulled))
    assert "1 is not of type 'string'" in found


def test_statuses_and_content_types_the_document_does_not_give_are_caught():
    cancel = f"{BASE}/bookings/5001"
    [found] = problems(exchange("DELETE", cancel, 409, {"errors": [], "message": "x"},
                                content_type=ERROR))  # fmt: skip
    assert "not a status the document gives cancelBooking" in found
    [found] = problems(exchange("GET", "/api/v3/integration/facilities", 200, {"_items": []},
                                content_type="application/json"))  # fmt: skip
    assert "content type 'application/json'" in found
    lower = "application/vnd.docplanner+json; charset=utf-8"  # a charset is case-insensitive
    facilities = exchange("GET", "/api/v3/integration/facilities", 200, {"_items": []},
                          content_type=lower)  # fmt: skip
    assert problems(facilities) == []
    [found] = problems(exchange("GET", MULTIPLE, 404, {"errors": {"a": 1}, "message": "x"},
                                content_type=ERROR))  # fmt: skip
    assert "{'a': 1} is not of type 'array'" in found


def test_unknown_paths_methods_and_the_push_path_are_violations():
    assert "no operation of the document" in problems(exchange("GET", BASE + "/nothing", 404))[0]
    assert "no operation of the document" in problems(exchange("PATCH", BASE + "/slots", 404))[0]
    assert "not a path of the Integrations API" in problems(exchange("GET", "/api/v2/x", 404))[0]
    [found] = problems(exchange("POST", "/api/v3/integration/hook", 200))
    assert "the push path is the client's" in found


def test_a_notification_off_its_callback_is_caught():
    check = contract()
    body = {
        "name": "slot-booked",
        "data": {"visit_booking": {"id": "1", "address_service": {"id": "as-1",
                                                                  "service_id": "45"}}},
        "created_at": "2026-12-01T08:00:00+01:00",
    }  # fmt: skip
    [found] = check.check_notification(body)
    assert "'service_id' was unexpected" in found.problem
    assert found.operation == "notification slot-booked"
    [found] = check.check_notification({"name": "slot-changed", "data": {}})
    assert "no callback" in found.problem


def test_a_token_asked_for_wrongly_is_caught():
    token = "/oauth/v2/token"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    asked = exchange("POST", token, 200, {"access_token": "a", "expires_in": 3600,
                     "token_type": "bearer"}, headers=form, body=b"grant_type=password",
                     content_type="application/json")  # fmt: skip
    found = problems(asked)
    assert any("grant_type=client_credentials" in p for p in found)
    assert any("no client credentials" in p for p in found)


def test_a_violation_seen_by_a_watch_is_reported():
    watch = ContractWatch()
    watch.notification({"name": "nope"})
    assert "no callback of the document is named 'nope'" in watch.report()


@pytest.mark.parametrize("limit", ["0", "101"])
async def test_the_pull_limit_is_1_to_100(aiohttp_client, clock, limit):
    s = await session(aiohttp_client, clock)
    response = await s.call("GET", f"{MULTIPLE}?limit={limit}")
    assert response.status == 400
