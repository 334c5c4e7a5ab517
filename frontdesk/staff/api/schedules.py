"""`/api/v1/services`, `/api/v1/schedule-templates`, `/api/v1/schedule-conflicts` and
regeneration: the catalog with its restrictions, the doctors' weekly templates (a doctor
sees their own), and what a regeneration left for the desk to resolve."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from aiohttp import web
from pydantic import BaseModel, Field, model_validator

from core.desk.lists import DeskLists
from core.models import ScheduleTemplate
from core.vocab import Availability, ServiceMode, Sex
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, LocalTime, Output, Page, Paging, page_of, paged
from frontdesk.staff.api.openapi import ADMIN, Api, Call

routes = Api()
TAG = "schedules"
MAX_REGENERATION_DAYS = 366


NAMES_DOC = "Translations by language (uk, ru, en; pl too), the Polish name the fallback"


class ServiceOut(Output):
    id: int
    code: str
    name: str
    names: dict[str, str] = Field(description=NAMES_DOC)
    specialty_id: int | None
    duration_minutes: int
    price: Decimal
    currency: str
    mode: ServiceMode
    active: bool
    sex: Sex | None = Field(description="Restriction: only this sex")
    min_age: int | None = Field(description="Restriction: from this age")
    max_age: int | None = Field(description="Restriction: up to this age")
    referral_required: bool
    nfz_contracted: bool = Field(description="Published to CeR, the central e-registration")
    e_referral_required: bool = Field(description="Booked only with an e-referral")
    arrival_confirmation_required: bool
    patient_info: str


class ServiceList(Page[ServiceOut]):
    pass


class SpecialtyOut(Output):
    id: int
    code: str
    name: str
    names: dict[str, str] = Field(description=NAMES_DOC)


class BranchOut(Output):
    id: int
    name: str
    names: dict[str, str] = Field(description=NAMES_DOC)
    address: str
    city: str


class DoctorOut(Output):
    id: int
    title: str = Field(description="Polish, and every language's fallback")
    titles: dict[str, str] = Field(description="Titles by language (uk, ru, en; pl too)")
    first_name: str
    last_name: str


class NewTitles(Input):
    titles: dict[str, str] = Field(
        description="Titles by language (uk, ru, en; pl too)", max_length=4
    )


class NewNames(Input):
    names: dict[str, str] = Field(description=NAMES_DOC, max_length=4)


class TemplateQuery(Paging):
    doctor: list[Id] = Field(default_factory=list, max_length=50)
    branch: list[Id] = Field(default_factory=list, max_length=50)


class TemplateOut(BaseModel):
    id: int
    doctor_id: int
    branch_id: int
    room_id: int | None
    weekday: int = Field(description="Monday = 0, in the branch's local calendar")
    start_time: LocalTime
    end_time: LocalTime
    slot_minutes: int
    valid_from: date
    valid_until: date | None
    channels: list[str] = Field(description="Who may see and book its slots")

    @classmethod
    def of(cls, template: ScheduleTemplate) -> TemplateOut:
        bits = Availability(template.availability)
        return cls(
            **template.model_dump(exclude={"availability"}),
            channels=[str(a.name).lower() for a in Availability if a in bits],
        )


class TemplateList(Page[TemplateOut]):
    pass


class ConflictQuery(Paging):
    resolved: bool = False


class ConflictOut(Output):
    id: int
    booking_id: int
    doctor_id: int
    start_at: datetime
    detected_at: datetime
    resolved: bool


class ConflictList(Page[ConflictOut]):
    pass


class Regeneration(Input):
    first_day: date = Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))
    last_day: date = Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))
    doctor_id: Id | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Regeneration:
        if (
            not timedelta(0)
            <= self.last_day - self.first_day
            <= timedelta(days=MAX_REGENERATION_DAYS)
        ):
            raise ValueError(f"from first_day to last_day, at most {MAX_REGENERATION_DAYS} days")
        return self


class RegenerationOut(BaseModel):
    created: int
    updated: int
    removed: int
    conflicts: list[int] = Field(description="Booking ids left without a slot")


def lists(request: web.Request) -> DeskLists:
    return request.app[keys.SERVICES].lists


@routes.route(
    "GET",
    "/services",
    summary="The services catalog with restrictions",
    tag=TAG,
    query=Paging,
    response=ServiceList,
)
async def list_services(call: Call) -> ServiceList:
    found = await call.request.app[keys.SERVICES].catalog.services()
    return page_of(ServiceList, found, call.query_as(Paging))


@routes.route(
    "PUT",
    "/services/{service_id}/names",
    summary="Replace a service's translated names",
    tag=TAG,
    roles=ADMIN,
    body=NewNames,
    response=ServiceOut,
)
async def set_service_names(call: Call) -> ServiceOut:
    names = call.request.app[keys.SERVICES].catalog_names
    service = await names.set_service_names(call.ids["service_id"], call.body_as(NewNames).names)
    return ServiceOut.model_validate(service)


@routes.route(
    "PUT",
    "/specialties/{specialty_id}/names",
    summary="Replace a specialty's translated names",
    tag=TAG,
    roles=ADMIN,
    body=NewNames,
    response=SpecialtyOut,
)
async def set_specialty_names(call: Call) -> SpecialtyOut:
    names = call.request.app[keys.SERVICES].catalog_names
    specialty = await names.set_specialty_names(
        call.ids["specialty_id"], call.body_as(NewNames).names
    )
    return SpecialtyOut.model_validate(specialty)


@routes.route(
    "GET",
    "/schedule-templates",
    summary="Weekly schedule templates",
    tag=TAG,
    query=TemplateQuery,
    response=TemplateList,
)
async def list_schedule_templates(call: Call) -> TemplateList:
    q = call.query_as(TemplateQuery)
    found = await lists(call.request).templates(
        call.scope,
        doctor_ids=frozenset(q.doctor) or None,
        branch_ids=frozenset(q.branch) or None,
        limit=q.limit,
        offset=q.offset,
    )
    return paged(TemplateList, [TemplateOut.of(t) for t in found.items], q, has_more=found.has_more)


@routes.route(
    "GET",
    "/schedule-conflicts",
    summary="Booked visits a new schedule no longer covers",
    tag=TAG,
    query=ConflictQuery,
    response=ConflictList,
)
async def list_schedule_conflicts(call: Call) -> ConflictList:
    q = call.query_as(ConflictQuery)
    found = await lists(call.request).conflicts(
        call.scope, resolved=q.resolved, limit=q.limit, offset=q.offset
    )
    return paged(ConflictList, found.items, q, has_more=found.has_more)


@routes.route(
    "POST",
    "/schedule/regenerate",
    summary="Regenerate slots from the templates",
    tag=TAG,
    roles=ADMIN,
    body=Regeneration,
    response=RegenerationOut,
)
async def regenerate_schedule(call: Call) -> RegenerationOut:
    b = call.body_as(Regeneration)
    report = await call.request.app[keys.SERVICES].schedule.regenerate(
        b.first_day, b.last_day, doctor_id=b.doctor_id
    )
    return RegenerationOut(
        created=report.created,
        updated=report.updated,
        removed=report.removed,
        conflicts=report.conflicts,
    )


@routes.route(
    "PUT",
    "/branches/{branch_id}/names",
    summary="Replace a branch's translated names",
    tag=TAG,
    roles=ADMIN,
    body=NewNames,
    response=BranchOut,
)
async def set_branch_names(call: Call) -> BranchOut:
    names = call.request.app[keys.SERVICES].catalog_names
    branch = await names.set_branch_names(call.ids["branch_id"], call.body_as(NewNames).names)
    return BranchOut.model_validate(branch)


@routes.route(
    "PUT",
    "/doctors/{doctor_id}/titles",
    summary="Replace a doctor's translated titles",
    tag=TAG,
    roles=ADMIN,
    body=NewTitles,
    response=DoctorOut,
)
async def set_doctor_titles(call: Call) -> DoctorOut:
    names = call.request.app[keys.SERVICES].catalog_names
    doctor = await names.set_doctor_titles(call.ids["doctor_id"], call.body_as(NewTitles).titles)
    return DoctorOut.model_validate(doctor)
