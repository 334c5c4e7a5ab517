"""The fake Docplanner against Docplanner's published document: a scripted session through
every operation frontdesk uses, each answer held to the document by the contract check
(tests/conftest.py), and the rules the document states that a schema can't: the token,
replacing only the ranges sent, the refused ranges, duplicates, free slots, bookings taking
published slots, moves making new bookings, notifications pulled once, the limits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from testkit.factories import warsaw_at
from testkit.fakes.docplanner.calendar import wire
from testkit.fakes.docplanner.server import CLIENT_ID, CLIENT_SECRET
from tests.partners.fake_session import (
    BASE,
    PATIENT,
    SERVICE,
    offer,
    period,
    session,
    t,
)

ERROR = "application/vnd.error+docplanner+json"
SUCCESS = "application/vnd.docplanner+json; charset=UTF-8"


async def test_the_token_comes_by_basic_or_form_and_a_stale_one_is_401(aiohttp_client, clock):
    s = await session(aiohttp_client, clock)
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET}  # fmt: skip
    response = await s.http.post("/oauth/v2/token", data=form)
    token = await response.json()
    assert token["expires_in"] == 3600
    assert token["token_type"] == "bearer"
    bad = await s.http.post("/oauth/v2/token", data={**form, "client_secret": "no"})
    assert bad.status == 401
    assert (await bad.json(content_type=None))["message"] == "Invalid credentials."

    assert (await s.call("GET", "/api/v3/integration/facilities")).status == 200
    clock.advance(timedelta(seconds=3600))  # expires_in has passed
    stale = await s.call("GET", "/api/v3/integration/facilities")
    assert stale.status == 401
    assert stale.headers["Content-Type"] == ERROR
    assert await stale.json(content_type=None) == {"message": "Invalid credentials."}


async def test_the_catalog_answers_with_the_scopes_each_operation_lists(
    aiohttp_client, clock, docplanner_contract
):
    s = await session(aiohttp_client, clock)
    facilities = await s.call("GET", "/api/v3/integration/facilities")
    assert facilities.headers["Content-Type"] == SUCCESS
    assert [f["id"] for f in (await facilities.json(content_type=None))["_items"]] == ["1001"]

    doctors = "/api/v3/integration/facilities/1001/doctors"
    listed = await s.call("GET", doctors + "?with=doctor.profile_url,doctor.license_numbers")
    [doctor] = (await listed.json(content_type=None))["_items"]
    assert (doctor["id"], doctor["name"], doctor["surname"]) == ("301", "Anna", "Kowalska")
    # getDoctors has no doctor.addresses: getDoctor and getAddresses do.
    refused = await s.call("GET", doctors + "?with=doctor.addresses")
    assert refused.status == 400
    assert refused.headers["Content-Type"] == ERROR
    [violation] = docplanner_contract.violations  # the contract check saw it too
    assert "'doctor.addresses' is not one of" in violation.problem
    docplanner_contract.violations.clear()
    one = await s.call("GET", doctors + "/301?with=doctor.addresses")
    assert [a["id"] for a in (await one.json(content_type=None))["addresses"]["_items"]] == ["9001"]
    addresses = await s.call("GET", doctors + "/301/addresses")
    assert [a["id"] for a in (await addresses.json(content_type=None))["_items"]] == ["9001"]

    services = await s.call("GET", BASE + "/services")
    [service] = (await services.json(content_type=None))["_items"]
    assert (service["id"], service["service_id"]) == (SERVICE, "45")
    dictionary = await s.call("GET", "/api/v3/integration/services")
    assert [d["id"] for d in (await dictionary.json(content_type=None))["_items"]] == ["45"]


async def test_the_scripted_session_through_every_operation(
    aiohttp_client, clock, docplanner_contract
):
    s = await session(aiohttp_client, clock)
    nine = warsaw_at(clock, 1, 9)
    published = await s.publish(period(clock, 1, 8, 12, offer(30)))
    assert published.status == 201
    assert await s.free(clock) == [wire(warsaw_at(clock, 1, h, m)) for h in (8, 9, 10, 11)
                                   for m in (0, 30)]  # fmt: skip
    with_services = await s.call(
        "GET", f"{BASE}/slots?start={t(nine)}&end={t(nine + timedelta(hours=1))}"
        "&with=slot.services",
    )  # fmt: skip
    first = (await with_services.json(content_type=None))["_items"][0]
    assert first["address_services"]["_items"][0]["id"] == SERVICE

    booked = await s.book(nine)
    assert booked.status == 200
    booking = await booked.json(content_type=None)
    assert (booking["status"], booking["start_at"], booking["booked_by"]) == (
        "booked", wire(nine), "integration",
    )  # fmt: skip
    assert wire(nine) not in await s.free(clock)

    day = f"start={t(warsaw_at(clock, 1, 0))}&end={t(warsaw_at(clock, 2, 0))}"
    listed = await s.call("GET", f"{BASE}/bookings?{day}&with=booking.patient")
    [item] = (await listed.json(content_type=None))["_items"]
    assert item["patient"]["name"] == "Ewa"
    paged = await s.call("GET", f"{BASE}/bookings?{day}&page=1&limit=10")
    assert (await paged.json(content_type=None))["total"] == 1

    one = await s.call("GET", f"{BASE}/bookings/{booking['id']}?with=booking.moving")
    assert (await one.json(content_type=None))["address_service"]["id"] == SERVICE

    ten = warsaw_at(clock, 1, 10)
    moved = await s.call(
        "POST",
        f"{BASE}/bookings/{booking['id']}/move",
        json={"address_service_id": SERVICE, "start": ten.isoformat()},
    )
    assert moved.status == 201
    new = await moved.json(content_type=None)
    assert new["id"] != booking["id"]
    assert moved.headers["Location"].endswith(f"/bookings/{new['id']}")
    no_service = await s.call(
        "POST", f"{BASE}/bookings/{booking['id']}/move", json={"start": ten.isoformat()}
    )
    assert no_service.status == 400  # address_service_id is required
    [violation] = docplanner_contract.violations
    assert "'address_service_id' is a required property" in violation.problem
    docplanner_contract.violations.clear()
    again = await s.call(
        "POST",
        f"{BASE}/bookings/{booking['id']}/move",
        json={"address_service_id": SERVICE, "start": ten.isoformat()},
    )
    assert again.status == 409
    assert s.fake.bookings[booking["id"]].status == "moved"

    cancelled = await s.call("DELETE", f"{BASE}/bookings/{new['id']}", json={"reason": "sick"})
    assert cancelled.status == 204
    assert s.fake.active() == []
    twice = await s.call("DELETE", f"{BASE}/bookings/{new['id']}")
    assert twice.status == 400

    gone = await s.call("DELETE", f"{BASE}/slots/{warsaw_at(clock, 1, 0).date()}")
    assert gone.status == 204
    assert s.fake.slots == {}

    empty = await s.call("GET", "/api/v3/integration/notifications/multiple?limit=5")
    assert empty.status == 404
    assert await empty.json(content_type=None) == {
        "errors": [],
        "message": "No notifications found",
    }
    released = await s.call("POST", "/api/v3/integration/notifications/release")
    assert released.status == 204
    assert (await s.call("POST", "/api/v3/integration/notifications/release")).status == 429
    assert docplanner_contract.violations == []


async def test_replacing_slots_touches_only_the_ranges_sent(aiohttp_client, clock):
    s = await session(aiohttp_client, clock)
    await s.publish(period(clock, 1, 8, 12, offer()), period(clock, 1, 14, 16, offer()))
    # The afternoon shrinks to 14-15; the morning, not sent, stays.
    await s.publish(period(clock, 1, 14, 16, None), period(clock, 1, 14, 15, offer()))
    key = (s.fake_address, warsaw_at(clock, 1, 0).date())
    assert s.fake.slots[key] == [
        (warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 12)),
        (warsaw_at(clock, 1, 14), warsaw_at(clock, 1, 15)),
    ]
    # An empty collection clears a range too, cutting what overlaps it.
    await s.publish(period(clock, 1, 10, 11, []))
    assert s.fake.slots[key][:2] == [
        (warsaw_at(clock, 1, 8), warsaw_at(clock, 1, 10)),
        (warsaw_at(clock, 1, 11), warsaw_at(clock, 1, 12)),
    ]


async def test_refused_ranges_and_duplicates(aiohttp_client, clock):
    s = await session(aiohttp_client, clock)
    across = {**period(clock, 1, 20, 23, offer()), "end": warsaw_at(clock, 2, 1).isoformat()}
    assert (await s.publish(across)).status == 400
    assert (await s.publish(period(clock, 85, 8, 9, offer()))).status == 400  # beyond 12 weeks
    two_days = await s.publish(period(clock, 1, 8, 9, offer()), period(clock, 2, 8, 9, offer()))
    assert two_days.status == 400
    unknown = [{"address_service_id": "as-9", "duration": 30}]
    assert (await s.publish(period(clock, 1, 8, 9, unknown))).status == 400
    assert s.fake.slots == {}

    # A duplicate while the first is processed: 429; right after it: ignored with a 201.
    s.fake.slot_processing = 0.2
    entry = period(clock, 1, 8, 9, offer())
    first, second = await asyncio.gather(s.publish(entry), s.publish(entry))
    assert sorted([first.status, second.status]) == [201, 429]
    s.fake.slot_processing = 0
    await s.publish(period(clock, 1, 8, 9, None))  # another body: cleared
    assert (await s.publish(entry)).status == 201  # the same as the first, within 3 min
    assert s.fake.slots == {}  # ...ignored, as the document says
    clock.advance(timedelta(minutes=3))
    await s.publish(entry)
    assert s.fake.slots != {}

    far = await s.call("GET", f"{BASE}/slots?start={t(warsaw_at(clock, 0, 0))}"
                              f"&end={t(warsaw_at(clock, 181, 0))}")  # fmt: skip
    assert far.status == 400


async def test_a_booking_takes_a_published_slot_offering_its_service(
    aiohttp_client, clock, docplanner_contract
):
    s = await session(aiohttp_client, clock)
    await s.publish(period(clock, 1, 8, 10, offer(30)))
    missing = await s.book(warsaw_at(clock, 1, 11))
    assert missing.status == 404
    assert "Requested target slot" in (await missing.json(content_type=None))["message"]
    off_grid = await s.book(warsaw_at(clock, 1, 8, 10))
    assert off_grid.status == 404
    no_phone = await s.book(warsaw_at(clock, 1, 8), patient={"name": "Ewa"})
    assert no_phone.status == 400
    [violation] = docplanner_contract.violations
    assert "'phone' is a required property" in violation.problem
    docplanner_contract.violations.clear()
    assert (await s.book(warsaw_at(clock, 1, 8))).status == 200
    assert (await s.book(warsaw_at(clock, 1, 8))).status == 404  # taken
    assert len(s.fake.active()) == 1

    # An address service the slot doesn't offer, or the address doesn't have.
    s.fake.addresses[s.fake_address].services["as-2"] = "46"
    await s.publish(period(clock, 2, 8, 10, [{"address_service_id": "as-2", "duration": 20}]))
    other = await s.book(warsaw_at(clock, 2, 8))
    assert other.status == 404
    assert (await other.json(content_type=None))["message"] == (
        f"Unable to perform booking. Slot ({wire(warsaw_at(clock, 2, 8))}) does not support "
        "service as-1"
    )
    unknown = await s.call(
        "POST",
        f"{BASE}/slots/{t(warsaw_at(clock, 2, 8))}/book",
        json={"address_service_id": "as-9", "duration": 20, "patient": PATIENT},
    )
    assert (await unknown.json(content_type=None))["message"] == "Service does not exist"


async def test_notifications_follow_the_callbacks_and_are_pulled_once(
    aiohttp_client, clock, docplanner_contract
):
    s = await session(aiohttp_client, clock)
    fake, address = s.fake, s.fake_address
    asked = fake.slot_booking_request(address, warsaw_at(clock, 1, 9), "45", PATIENT)
    request = asked["data"]["visit_booking_request"]
    assert "id" not in request
    booked = fake.complete_booking(request["signature"])
    visit = booked["data"]["visit_booking"]
    assert visit["signature"] == request["signature"]
    assert visit["address_service"] == {
        "id": SERVICE, "name": "Usługa 45", "price": 150, "is_price_from": False,
        "is_visible": True,
    }  # fmt: skip
    assert set(visit) >= {
        "id", "status", "start_at", "end_at", "duration", "booked_by", "canceled_by",
        "booked_at", "address_service", "patient", "signature",
    }  # fmt: skip
    assert visit["booked_by"] == "user"
    assert booked["data"]["facility"]["id"] == "1001"
    assert booked["data"]["doctor"]["id"] == "301"
    assert booked["data"]["address"]["id"] == "9001"
    moving = fake.patient_moving(visit["id"], warsaw_at(clock, 1, 10))
    assert moving["data"]["canceling_booking"]["id"] == visit["id"]
    moved = fake.complete_booking(moving["data"]["creating_booking"]["signature"])
    old, new = moved["data"]["old_visit_booking"], moved["data"]["new_visit_booking"]
    assert (old["id"], old["status"]) == (visit["id"], "canceled")
    assert new["id"] != old["id"]
    fake.patient_confirms(new["id"])
    cancelled = fake.patient_cancels(new["id"])
    assert cancelled["data"]["visit_booking"]["canceled_by"] == "user"

    names = []
    while (pulled := await s.call("GET", "/api/v3/integration/notifications/multiple?limit=2"))\
            .status == 200:  # fmt: skip
        page = await pulled.json(content_type=None)
        names += [n["name"] for n in page["notifications"]]
    assert names == ["slot-booking", "slot-booked", "booking-moving", "booking-moved",
                     "booking-confirmed", "booking-canceled"]  # fmt: skip
    assert docplanner_contract.violations == []


async def test_writes_beyond_the_limit_are_429_with_the_documented_headers(aiohttp_client, clock):
    assert (await session(aiohttp_client, clock)).fake.writes_per_minute == 40  # Docplanner's
    s = await session(aiohttp_client, clock, writes_per_minute=2)
    entry = period(clock, 1, 8, 9, offer())
    first = await s.publish(entry)
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Used"] == "1"
    reset = datetime.fromisoformat(first.headers["X-RateLimit-Reset"])  # an ISO 8601 date
    assert clock.now() < reset <= clock.now() + timedelta(minutes=1)
    await s.publish(period(clock, 1, 9, 10, offer()))
    refused = await s.publish(period(clock, 1, 10, 11, offer()))
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) > 0
