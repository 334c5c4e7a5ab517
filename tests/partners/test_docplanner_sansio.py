"""Docplanner's bodies read and written without I/O, checked against the examples of its
published OpenAPI document (v1.14): the notifications as the document shows them, the
empty queue's 404, the rate limit's reset date, and a day's slots covering the whole day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.partners.port import NoticeKind, PartnerPatient, PartnerRefused, PartnerUnavailable
from partners.docplanner.notices import parse_notice
from partners.docplanner.sansio import (
    no_notifications,
    notifications_of,
    parse_error,
    patient_body,
    slots_body,
)
from partners.headers import reset_in_seconds

WHERE = {
    "facility": {"id": "1", "name": "Sample hospital"},
    "doctor": {"id": "123", "name": "Sample", "surname": "Doctor 123"},
    "address": {"id": "111", "name": "Example hospital", "street": "Some street"},
}
SERVICE = {"id": "243665", "name": "biopsja nerki", "price": 50, "is_price_from": False}
PATIENT = {"name": "Abraham", "surname": "Lincoln", "phone": "+48123123123", "gender": "m"}
# The document's `SlotBookedNotification` example (its `visit_booking` abridged).
SLOT_BOOKED = {
    "name": "slot-booked",
    "data": {
        **WHERE,
        "visit_booking": {
            "id": "6263715",
            "status": "booked",
            "start_at": "2021-05-26T16:00:00+01:00",
            "end_at": "2021-05-26T16:30:00+01:00",
            "duration": 30,
            "address_service": SERVICE,
            "patient": PATIENT,
        },
    },
    "created_at": "2021-05-12T10:18:34+01:00",
}
# `SlotBookingNotification`: no booking id yet.
SLOT_BOOKING = {
    "name": "slot-booking",
    "data": {
        **WHERE,
        "visit_booking_request": {
            "booking_by": "user",
            "duration": 30,
            "start_at": "2021-05-26T16:00:00+01:00",
            "end_at": "2021-05-26T16:30:00+01:00",
            "address_service": SERVICE,
            "patient": PATIENT,
        },
    },
    "created_at": "2021-05-12T10:18:34+01:00",
}
# `BookingMovingNotification`.
BOOKING_MOVING = {
    "name": "booking-moving",
    "data": {
        **WHERE,
        "canceling_booking": {"id": "6263715", "start_at": "2021-05-26T16:00:00+01:00"},
        "creating_booking": {
            "start_at": "2021-05-27T11:00:00+01:00",
            "end_at": "2021-05-27T11:30:00+01:00",
            "signature": "699c9b15-a72f-741b-cd24-fdef7b00551e",
        },
    },
    "created_at": "2021-05-14T15:46:34+01:00",
}
BOOKING_MOVED = {
    "name": "booking-moved",
    "data": {
        **WHERE,
        "old_visit_booking": {"id": "6263715", "start_at": "2021-05-26T16:00:00+01:00"},
        "new_visit_booking": {"id": "6264532", "start_at": "2021-05-27T11:00:00+01:00"},
    },
    "created_at": "2021-05-14T15:46:34+01:00",
}


def test_a_slot_booked_names_the_address_service_by_its_own_id():
    notice = parse_notice(SLOT_BOOKED)
    assert notice.kind is NoticeKind.BOOKED
    assert notice.remote_booking_id == "1/123/111/6263715"
    assert notice.doctor == "1/123/111"
    assert notice.service is None  # resolved through the address's services
    assert notice.extra == {"address_service_id": "243665"}
    assert notice.start_at == datetime(2021, 5, 26, 15, 0, tzinfo=UTC)
    assert notice.patient is not None
    assert notice.patient.phone == "+48123123123"


def test_a_blocking_slot_booking_and_its_slot_booked_are_one_booking():
    request = parse_notice(SLOT_BOOKING)
    booked = parse_notice(SLOT_BOOKED)
    assert request.kind is NoticeKind.BOOKED
    assert request.remote_booking_id == "1/123/111/request:2021-05-26T16:00:00+01:00"
    assert booked.old_remote_booking_id == request.remote_booking_id
    assert request.key != booked.key
    assert request.extra["provisional"]
    signed = {
        **SLOT_BOOKING,
        "data": {
            **WHERE,
            "visit_booking_request": {**SLOT_BOOKING["data"]["visit_booking_request"]}
            | {"signature": "abc-1"},
        },
    }
    assert parse_notice(signed).remote_booking_id == "1/123/111/request:abc-1"


def test_booking_moving_and_booking_moved_are_read_from_their_own_fields():
    moving = parse_notice(BOOKING_MOVING)
    assert moving.kind is NoticeKind.MOVED
    assert moving.old_remote_booking_id == "1/123/111/6263715"
    assert moving.remote_booking_id == ""  # the new id comes with booking-moved
    assert moving.start_at == datetime(2021, 5, 27, 10, 0, tzinfo=UTC)
    moved = parse_notice(BOOKING_MOVED)
    assert (moved.old_remote_booking_id, moved.remote_booking_id) == (
        "1/123/111/6263715",
        "1/123/111/6264532",
    )


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "slot-booked", "data": WHERE},
        {"name": "slot-booking", "data": {**WHERE, "visit_booking": {"id": "1"}}},
        {"name": "booking-moving", "data": {**WHERE, "old_visit_booking": {"id": "1"}}},
        {"name": "slot-booked", "data": {"visit_booking": {"id": "1"}}},
        {"data": {}},
        [],
    ],
)
def test_a_notification_without_what_it_names_is_not_read(raw):
    with pytest.raises(ValueError, match=r"notification|without"):
        parse_notice(raw)


def test_other_notifications_are_kept_as_they_are():
    raw = {"name": "break-created", "data": WHERE, "created_at": "2021-05-14T15:46:34+01:00"}
    assert parse_notice(raw).kind is NoticeKind.OTHER


def test_the_pulled_page_and_the_empty_queue():
    found, remaining = notifications_of({"notifications": [SLOT_BOOKED], "remaining": 5})
    assert (found, remaining) == ([SLOT_BOOKED], 5)
    assert notifications_of({"_items": [SLOT_BOOKED]}) == ([], 0)
    empty = parse_error(404, b'{"errors": [], "message": "No notifications found"}', {})
    assert isinstance(empty, PartnerRefused)
    assert no_notifications(empty)
    other = parse_error(404, b'{"errors": [], "message": "Object not found"}', {})
    assert isinstance(other, PartnerRefused)
    assert not no_notifications(other)


def test_the_rate_limit_resets_at_an_iso_date():
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert reset_in_seconds("2026-12-07T10:00:30+01:00", now) == 30.0
    assert reset_in_seconds("2026-12-07T08:00:00+00:00", now) == 0.0  # already past
    assert reset_in_seconds("12", now) == 12.0
    assert reset_in_seconds("tomorrow", now) is None
    error = parse_error(429, b"{}", {"x-ratelimit-reset": "2026-12-07T09:00:45+00:00"}, now)
    assert isinstance(error, PartnerUnavailable)
    assert error.retry_after == 45.0


def test_a_day_is_sent_whole_so_hours_it_lost_are_cleared():
    warsaw = ZoneInfo("Europe/Warsaw")
    day = date(2026, 12, 7)
    at = lambda h, m=0: datetime(2026, 12, 7, h, m, tzinfo=warsaw).astimezone(UTC)  # noqa: E731
    body = slots_body(day, warsaw, [(at(8), at(10)), (at(12), at(13))], [("as-1", 15)])
    ranges = [(s["start"], s["end"], bool(s["address_services"])) for s in body["slots"]]
    assert ranges == [
        ("2026-12-07T00:00:00+01:00", "2026-12-07T08:00:00+01:00", False),
        ("2026-12-07T08:00:00+01:00", "2026-12-07T10:00:00+01:00", True),
        ("2026-12-07T10:00:00+01:00", "2026-12-07T12:00:00+01:00", False),
        ("2026-12-07T12:00:00+01:00", "2026-12-07T13:00:00+01:00", True),
        ("2026-12-07T13:00:00+01:00", "2026-12-07T23:59:00+01:00", False),
    ]
    offered = body["slots"][1]["address_services"]
    assert offered == [{"address_service_id": "as-1", "duration": 15}]
    whole = slots_body(day, warsaw, [(at(0), at(23, 59) + timedelta(seconds=30))], [("a", 5)])
    assert [bool(s["address_services"]) for s in whole["slots"]] == [True]


def test_docplanner_requires_the_patients_phone():
    with pytest.raises(PartnerRefused, match="phone"):
        patient_body(PartnerPatient("Ewa", "Testowa"))
    assert patient_body(PartnerPatient("Ewa", "Testowa", phone="+48600100200"))["phone"]
