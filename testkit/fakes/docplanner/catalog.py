"""The fake Docplanner's catalog: facilities, doctors, their addresses, the service
dictionary and each address's services, with the `with` scopes the document lists for each
operation (any other is a 400)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from testkit.fakes.docplanner import bodies
from testkit.fakes.docplanner.calendar import local
from testkit.fakes.docplanner.portal import Portal
from testkit.fakes.docplanner.records import FACILITY, FakeAddress
from testkit.fakes.docplanner.replies import NOT_FOUND, Refused, integer, moment, ok, scopes

DOCTORS_SCOPES = ("doctor.profile_url", "doctor.specializations", "doctor.license_numbers")
DOCTOR_SCOPES = (
    "doctor.profile_url",
    "doctor.addresses",
    "doctor.license_numbers",
    "address.booking_extra_fields",
    "address.online_only",
    "address.visit_payment",
    "address.commercial_type",
)
ADDRESSES_SCOPES = (
    "address.online_only",
    "address.visit_payment",
    "address.commercial_type",
    "address.insurance_support",
)
SERVICES_SCOPES = ("services.only_diagnostics",)
ADDRESS_SERVICES_SCOPES = (
    "address_service.allowed_patients",
    "address_service.custom_name",
    "address_service.public_insurance_flow",
)
# What an address scope adds to an address.
ADDRESS_EXTRAS: dict[str, dict[str, Any]] = {
    "address.online_only": {"is_online_only": False},
    "address.visit_payment": {"visit_payment": False},
    "address.commercial_type": {"commercial_type": "premium"},
    "address.insurance_support": {"insurance_support": "private"},
    "address.booking_extra_fields": {
        "booking_extra_fields": {"gender": False, "nin": False, "birth_date": False}
    },
}


class Catalog(Portal):
    """The read-only resources, over the portal's addresses."""

    def facility(self, request: web.Request) -> str:
        facility = request.match_info["facility_id"]
        if facility != FACILITY:
            raise Refused(403, "You are not authorized to see this facility")
        return facility

    def doctor_addresses(self, request: web.Request) -> list[FakeAddress]:
        self.facility(request)
        doctor = request.match_info["doctor_id"]
        found = [a for a in self.addresses.values() if a.doctor == doctor]
        if not found:
            raise Refused(404, NOT_FOUND)
        return found

    def address(self, request: web.Request) -> FakeAddress:
        m = request.match_info
        self.facility(request)
        found = self.addresses.get(f"{m['facility_id']}/{m['doctor_id']}/{m['address_id']}")
        if found is None:
            raise Refused(404, NOT_FOUND)
        return found

    async def get_facilities(self, request: web.Request) -> web.Response:
        return ok({"_items": [{"id": FACILITY, "name": bodies.FACILITY_NAME}]})

    async def get_doctors(self, request: web.Request) -> web.Response:
        self.facility(request)
        asked = scopes(request, DOCTORS_SCOPES)
        doctors: dict[str, dict[str, Any]] = {}
        for a in self.addresses.values():
            doctors.setdefault(a.doctor, self._doctor(a, asked))
        return ok({"_items": list(doctors.values())})

    async def get_doctor(self, request: web.Request) -> web.Response:
        found = self.doctor_addresses(request)
        asked = scopes(request, DOCTOR_SCOPES)
        doctor = self._doctor(found[0], asked)
        if "doctor.addresses" in asked:
            doctor["addresses"] = {"_items": [self._address(a, asked) for a in found]}
        return ok(doctor)

    async def get_addresses(self, request: web.Request) -> web.Response:
        found = self.doctor_addresses(request)
        asked = scopes(request, ADDRESSES_SCOPES)
        return ok({"_items": [self._address(a, asked) for a in found]})

    async def get_services(self, request: web.Request) -> web.Response:
        asked = scopes(request, SERVICES_SCOPES)
        integer(request, "specialization_id")
        known = {s: self.dictionary.get(s, f"Usługa {s}") for a in self.addresses.values()
                 for s in a.services.values()}  # fmt: skip
        known.update(self.dictionary)
        if "services.only_diagnostics" in asked:
            known = {}
        return ok({"_items": [{"id": k, "name": v} for k, v in sorted(known.items())]})

    async def get_address_services(self, request: web.Request) -> web.Response:
        found = self.address(request)
        asked = scopes(request, ADDRESS_SERVICES_SCOPES)
        durations: dict[str, int] | None = None
        if "start" in request.query:
            day = local(moment(request.query["start"])).date()
            durations = {}
            for p_start, _, offered in self.calendars[found.id].periods():
                if p_start.date() == day:
                    durations.update(offered)
        items = []
        for address_service_id in found.services:
            if durations is not None and address_service_id not in durations:
                continue
            name = self.service_name(found, address_service_id)
            item = bodies.address_service(found, address_service_id, name)
            if durations is not None:
                item["duration"] = durations[address_service_id]
            if "address_service.allowed_patients" in asked:
                item["allowed_patients"] = None
            if "address_service.custom_name" in asked:
                item["custom_name"] = None
            items.append(item)
        return ok({"_items": items})

    def _doctor(self, found: FakeAddress, asked: set[str]) -> dict[str, Any]:
        """A doctor; `doctor.profile_url` (like `address_service.public_insurance_flow`)
        is accepted and adds nothing: the document's schemas have no field for it."""
        doctor = bodies.doctor(found)
        if "doctor.specializations" in asked:
            doctor["specialization"] = {"_items": [{"id": "1", "name": "internista"}]}
        if "doctor.license_numbers" in asked:
            doctor["license_numbers"] = {"_items": []}
        return doctor

    def _address(self, found: FakeAddress, asked: set[str]) -> dict[str, Any]:
        body = bodies.address(found)
        for scope in asked & set(ADDRESS_EXTRAS):
            body.update(ADDRESS_EXTRAS[scope])
        return body
