"""The fake Docplanner's slots and bookings, as the document states them: `PUT .../slots`
replaces only the ranges it sends (an entry without services clears its range), refuses a
range across a day boundary, beyond 12 weeks or of another day, answers a duplicate 429
while the first is processed and ignores it for 3 minutes after; `GET .../slots` lists the
free slots (≤ 180 days); a booking takes a published slot offering its address service;
a move makes a NEW booking."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from testkit.fakes.docplanner import bodies
from testkit.fakes.docplanner.calendar import local, wire
from testkit.fakes.docplanner.catalog import Catalog
from testkit.fakes.docplanner.records import FakeAddress, FakeBooking
from testkit.fakes.docplanner.replies import (
    NOT_FOUND,
    Refused,
    integer,
    json_object,
    moment,
    ok,
    scopes,
)

SLOTS_SCOPES = ("slot.services",)
BOOKINGS_SCOPES = (
    "booking.patient",
    "booking.address_service",
    "booking.presence",
    "address_service.public_insurance_flow",
)
BOOKING_SCOPES = ("booking.moving", "address_service.public_insurance_flow")
MOVE_SCOPES = ("address_service.public_insurance_flow",)
AHEAD = timedelta(weeks=12)
SLOTS_RANGE = timedelta(days=180)
DUPLICATE_IGNORED = timedelta(minutes=3)


class Visits(Catalog):
    """Slots and bookings, over the portal's calendars."""

    _puts_running: set[tuple[str, str]]
    _puts_done: dict[tuple[str, str], datetime]

    # -- slots ---------------------------------------------------------------------------

    async def get_slots(self, request: web.Request) -> web.Response:
        found = self.address(request)
        start = moment(request.query.get("start"), "start")
        end = moment(request.query.get("end"), "end")
        asked = scopes(request, SLOTS_SCOPES)
        if end - start > SLOTS_RANGE:
            raise Refused(400, "Date range must not exceed 180 days")
        calendar = self.calendars[found.id]
        if not calendar.days:
            raise Refused(404, "No slots found on given address")
        taken = [(b.start, b.end) for b in self._holding(found)]
        items = []
        for at, fitting in calendar.slots(start, end, taken):
            item: dict[str, Any] = {"start": wire(at)}
            if "slot.services" in asked:
                item["address_services"] = {
                    "_items": [
                        {**self._service(found, s), "duration": d} for s, d in fitting.items()
                    ]
                }
            items.append(item)
        return ok({"_items": items})

    async def replace_slots(self, request: web.Request) -> web.Response:
        found = self.address(request)
        body = await json_object(request)
        entries = self._slot_entries(found, body)
        key = (found.id, json.dumps(body, sort_keys=True))
        done = self._puts_done.get(key)
        if key in self._puts_running:
            raise Refused(429, "Too Many Requests")
        if done is not None and self.clock.now() - done < DUPLICATE_IGNORED:
            return web.Response(status=201)  # the document: a duplicate is ignored
        self._puts_running.add(key)
        try:
            if self.slot_processing:
                await asyncio.sleep(self.slot_processing)
            for start, end, services in entries:
                self.calendars[found.id].replace(start, end, services)
        finally:
            self._puts_running.discard(key)
        self._puts_done[key] = self.clock.now()
        return web.Response(status=201)

    def _slot_entries(
        self, found: FakeAddress, body: dict[str, Any]
    ) -> list[tuple[datetime, datetime, dict[str, int]]]:
        slots = body.get("slots")
        if not isinstance(slots, list):
            raise Refused(400, "Invalid arguments", ["slots: This value should not be blank."])
        limit = self.clock.now() + AHEAD
        entries = []
        for i, entry in enumerate(slots):
            if not isinstance(entry, dict):
                raise Refused(400, "Invalid arguments", [f"slots[{i}]: not an object"])
            start = local(moment(entry.get("start"), "start"))
            end = local(moment(entry.get("end"), "end"))
            if end - start < timedelta(minutes=1):
                raise Refused(
                    400,
                    "Invalid arguments",
                    [f"slots[{i}].minimumDifferenceBetweenDates: The end date must be at "
                     "least 1 minute after the start date"],
                )  # fmt: skip
            midnight = datetime.combine(start.date() + timedelta(days=1), time(), start.tzinfo)
            if end.date() != start.date() and end != local(midnight):
                raise Refused(
                    400,
                    f"Slot for date range {wire(start)} - {wire(end)} exceeds a single day "
                    "boundary",
                )
            if end > limit:
                raise Refused(
                    400,
                    "Invalid arguments",
                    [f"slots[{i}].end: End date should be less than or equal to "
                     f"{local(limit):%d.%m.%Y, %H:%M}."],
                )  # fmt: skip
            services: dict[str, int] = {}
            for offered in entry.get("address_services") or []:
                if not isinstance(offered, dict) or offered.get("address_service_id") not in (
                    found.services
                ):
                    raise Refused(400, "Address service does not exist")
                duration = offered.get("duration")
                if not isinstance(duration, int) or duration < 1:
                    raise Refused(400, "Invalid arguments", [f"slots[{i}]: bad duration"])
                services[offered["address_service_id"]] = duration
            entries.append((start, end, services))
        if len({start.date() for start, _, _ in entries}) > 1:
            raise Refused(400, "Slots comes from different days")
        return entries

    async def delete_slots(self, request: web.Request) -> web.Response:
        found = self.address(request)
        try:
            day = date.fromisoformat(request.match_info["date"])
        except ValueError:
            raise Refused(404, NOT_FOUND) from None
        self.calendars[found.id].clear(day)
        return web.Response(status=204)

    # -- bookings ------------------------------------------------------------------------

    async def book_slot(self, request: web.Request) -> web.Response:
        found = self.address(request)
        start = local(moment(request.match_info["start"]))
        body = await json_object(request)
        patient = body.get("patient")
        service = body.get("address_service_id")
        duration = body.get("duration")
        if not isinstance(patient, dict) or not patient.get("name") or not patient.get("phone"):
            raise Refused(400, "Validation error message", ["patient: name and phone required"])
        if not isinstance(service, str) or not isinstance(duration, int) or duration < 1:
            raise Refused(400, "Validation error message", ["address_service_id, duration"])
        if service not in found.services:
            raise Refused(404, "Service does not exist")
        end = start + timedelta(minutes=duration)
        self._takeable(found, start, end, service)
        booking = FakeBooking(
            self.new_id(), found, start, end, service, dict(patient), booked_at=self.clock.now(),
            comment=body.get("comment"),
        )  # fmt: skip
        booking.origin = booking.newest = booking.id
        self.bookings[booking.id] = booking
        return ok(self._booking(booking, patient=False, service=False))

    async def get_bookings(self, request: web.Request) -> web.Response:
        found = self.address(request)
        start = moment(request.query.get("start"), "start")
        end = moment(request.query.get("end"), "end")
        asked = scopes(request, BOOKINGS_SCOPES)
        page = integer(request, "page")
        limit = integer(request, "limit", 100) or 100
        items = [
            self._booking(b, patient="booking.patient" in asked,
                          service="booking.address_service" in asked)
            for b in sorted(self.bookings.values(), key=lambda b: (b.start, int(b.id)))
            if b.address.id == found.id and b.status != "pending" and start <= b.start < end
        ]  # fmt: skip
        if "booking.presence" in asked:
            for item in items:
                item["presence"] = None
        if page is None:
            return ok({"_items": items})
        pages = max(1, -(-len(items) // limit))
        window = items[(page - 1) * limit : page * limit]
        return ok({"_items": window, "page": page, "limit": limit, "pages": pages,
                   "total": len(items)})  # fmt: skip

    async def get_booking(self, request: web.Request) -> web.Response:
        found = self.address(request)
        asked = scopes(request, BOOKING_SCOPES)
        booking = self._booking_of(found, request)
        return ok(
            self._booking(booking, patient=True, service=True, moving="booking.moving" in asked)
        )

    async def cancel_booking(self, request: web.Request) -> web.Response:
        found = self.address(request)
        body = await json_object(request, required=False)
        if "reason" in body and not isinstance(body["reason"], str):
            raise Refused(400, "Validation error message", ["reason: must be a string"])
        booking = self._booking_of(found, request)
        if booking.status != "booked":
            raise Refused(400, f"Visit {booking.id} cannot be canceled because it is not booked")
        self._end(booking, "cancelled", "integration")
        return web.Response(status=204)

    async def move_booking(self, request: web.Request) -> web.Response:
        found = self.address(request)
        scopes(request, MOVE_SCOPES)
        body = await json_object(request)
        service = body.get("address_service_id")
        duration = body.get("duration")
        if not isinstance(service, str) or "start" not in body:
            raise Refused(400, "Invalid arguments")
        if duration is not None and (not isinstance(duration, int) or duration < 1):
            raise Refused(400, "Invalid arguments")
        old = self._booking_of(found, request)
        if old.status != "booked":
            raise Refused(409, "The visit has already been canceled or moved")
        target = found
        if "address_id" in body:
            other = next(
                (a for a in self.addresses.values()
                 if a.facility == found.facility and a.address == body["address_id"]),
                None,
            )  # fmt: skip
            if other is None:
                raise Refused(400, "Address does not exist")
            target = other
        if service not in target.services:
            raise Refused(400, "Service does not belong to the address")
        start = local(moment(body["start"]))
        end = start + (timedelta(minutes=duration) if duration else old.end - old.start)
        self._takeable(target, start, end, service, ignoring=old)
        new = self._moved(old, start, "integration", to=(target, end, service))
        location = (
            f"/api/v3/integration/facilities/{target.facility}/doctors/{target.doctor}"
            f"/addresses/{target.address}/bookings/{new.id}"
        )
        return ok(self._booking(new, patient=True, service=True), 201, {"Location": location})

    # -- helpers -------------------------------------------------------------------------

    def _booking_of(self, found: FakeAddress, request: web.Request) -> FakeBooking:
        booking = self.bookings.get(request.match_info["booking_id"])
        if booking is None or booking.address.id != found.id or booking.status == "pending":
            raise Refused(404, NOT_FOUND)
        return booking

    def _booking(self, booking: FakeBooking, **relations: bool) -> dict[str, Any]:
        name = self.service_name(booking.address, booking.address_service_id)
        return bodies.booking(booking, name, **relations)

    def _service(self, found: FakeAddress, address_service_id: str) -> dict[str, Any]:
        return bodies.address_service(
            found, address_service_id, self.service_name(found, address_service_id)
        )

    def _holding(self, found: FakeAddress) -> list[FakeBooking]:
        """The bookings that hold time at an address (a pending portal request too)."""
        return [
            b
            for b in self.bookings.values()
            if b.address.id == found.id and b.status in ("booked", "pending")
        ]

    def _takeable(
        self,
        found: FakeAddress,
        start: datetime,
        end: datetime,
        service: str,
        ignoring: FakeBooking | None = None,
    ) -> None:
        """A booking may take [start, end): a published slot starts then, offers the
        service, and the time is in one period with no other booking on it."""
        calendar = self.calendars[found.id]
        offered = calendar.offering(start)
        taken = any(
            b is not ignoring and b.start < end and start < b.end for b in self._holding(found)
        )
        if offered is None or taken or not calendar.covers(start, end):
            raise Refused(
                404,
                f"Unable to perform booking. Requested target slot ({wire(start)}) not found",
            )
        if service not in offered:
            raise Refused(
                404, f"Unable to perform booking. Slot ({wire(start)}) does not support "
                f"service {service}",
            )  # fmt: skip
