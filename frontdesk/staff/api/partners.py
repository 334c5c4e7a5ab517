"""`/api/v1/partners/{partner}`: what a partner refused (with its own message), retried or
discarded; the mappings of our doctors, services and branches to the partner's ids; and
what the partner does not know yet.

Registrars read (a refused visit is theirs to explain to the patient), admins change:
a retry, a discard or a mapping changes what the clinic tells a partner. Partner sync is
clinic-wide, so a registrar reads every branch's failures. Doctors are refused."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from core.errors import NotFound
from core.partners.desk import PARTNERS, Failure, PartnerDesk, Unmapped
from core.vocab import MappingKind, PartnerOpKind
from frontdesk import keys
from frontdesk.staff.api.models import Input, Output, Page, Paging, page_of, paged
from frontdesk.staff.api.openapi import ADMIN, DESK, Api, Call

routes = Api()
TAG = "partners"
PARTNER = {"partner": tuple(p.value for p in PARTNERS)}
MAPPING = PARTNER | {"kind": tuple(k.value for k in MappingKind)}


class FailureOut(BaseModel):
    id: int
    kind: PartnerOpKind
    subject: str = Field(description="booking:N, or slots:DOCTOR:YYYY-MM-DD for a calendar day")
    booking_id: int | None
    error: str = Field(description="The partner's own message")
    attempts: int
    created_at: datetime

    @classmethod
    def of(cls, failure: Failure) -> FailureOut:
        return cls(**vars(failure))


class FailureList(Page[FailureOut]):
    pass


class MappingOut(Output):
    kind: MappingKind
    local_id: int = Field(description="Our doctor's, service's, branch's or patient's id")
    remote_id: str = Field(description="The partner's id for it")


class MappingList(Page[MappingOut]):
    pass


class MappingIn(Input):
    remote_id: str = Field(min_length=1, max_length=200, description="The partner's id")


class UnmappedOut(BaseModel):
    kind: MappingKind
    local_id: int
    name: str

    @classmethod
    def of(cls, entity: Unmapped) -> UnmappedOut:
        return cls(kind=entity.kind, local_id=entity.local_id, name=entity.name)


class UnmappedList(Page[UnmappedOut]):
    pass


def _kind(call: Call) -> MappingKind:
    try:
        return MappingKind(call.names["kind"])
    except ValueError:
        raise NotFound("no such kind of mapping") from None


def desk(request: web.Request) -> PartnerDesk:
    return request.app[keys.SERVICES].partner_desk


@routes.route(
    "GET",
    "/partners/{partner}/failures",
    summary="Operations the partner refused, with its message",
    tag=TAG,
    roles=DESK,
    query=Paging,
    response=FailureList,
    names=PARTNER,
)
async def list_partner_failures(call: Call) -> FailureList:
    q = call.query_as(Paging)
    found = await desk(call.request).failures(
        call.names["partner"], limit=q.limit + 1, offset=q.offset
    )
    items = [FailureOut.of(f) for f in found[: q.limit]]
    return paged(FailureList, items, q, has_more=len(found) > q.limit)


@routes.route(
    "POST",
    "/partners/{partner}/failures/{operation_id}/retry",
    summary="Send a refused operation again, now",
    tag=TAG,
    roles=ADMIN,
    response=None,
    names=PARTNER,
)
async def retry_partner_failure(call: Call) -> None:
    await desk(call.request).retry(call.names["partner"], call.ids["operation_id"])


@routes.route(
    "POST",
    "/partners/{partner}/failures/{operation_id}/discard",
    summary="Give a refused operation up; the next ones of its visit go on",
    tag=TAG,
    roles=ADMIN,
    response=None,
    names=PARTNER,
)
async def discard_partner_failure(call: Call) -> None:
    await desk(call.request).discard(call.names["partner"], call.ids["operation_id"])


@routes.route(
    "GET",
    "/partners/{partner}/mappings",
    summary="Our doctors, services, branches and patients under the partner's ids",
    tag=TAG,
    roles=DESK,
    query=Paging,
    response=MappingList,
    names=PARTNER,
)
async def list_partner_mappings(call: Call) -> MappingList:
    mappings = await desk(call.request).mappings(call.names["partner"])
    return page_of(
        MappingList, [MappingOut.model_validate(m) for m in mappings], call.query_as(Paging)
    )


@routes.route(
    "PUT",
    "/partners/{partner}/mappings/{kind}/{local_id}",
    summary="Map one of ours to the partner's id, replacing its earlier mapping",
    tag=TAG,
    roles=ADMIN,
    body=MappingIn,
    response=MappingOut,
    names=MAPPING,
)
async def map_to_partner(call: Call) -> MappingOut:
    kind = _kind(call)
    remote_id = call.body_as(MappingIn).remote_id
    local_id = call.ids["local_id"]
    await desk(call.request).map(call.names["partner"], kind, local_id, remote_id)
    return MappingOut(kind=kind, local_id=local_id, remote_id=remote_id.strip())


@routes.route(
    "DELETE",
    "/partners/{partner}/mappings/{kind}/{local_id}",
    summary="Unmap one of ours (nothing happens if it was not mapped)",
    tag=TAG,
    roles=ADMIN,
    response=None,
    names=MAPPING,
)
async def unmap_from_partner(call: Call) -> None:
    await desk(call.request).unmap(call.names["partner"], _kind(call), call.ids["local_id"])


@routes.route(
    "GET",
    "/partners/{partner}/unmapped",
    summary="Active doctors and services the partner does not know yet",
    tag=TAG,
    roles=DESK,
    query=Paging,
    response=UnmappedList,
    names=PARTNER,
)
async def list_unmapped_for_partner(call: Call) -> UnmappedList:
    found = await desk(call.request).unmapped(call.names["partner"])
    return page_of(UnmappedList, [UnmappedOut.of(u) for u in found], call.query_as(Paging))
