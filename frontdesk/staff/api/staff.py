"""`/api/v1/me` and `/api/v1/staff`: who is asking, their API tokens, and the admin's
list and creation of accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from core.desk.accounts import NewStaff, StaffAccounts
from core.errors import Forbidden
from core.models import StaffMember
from core.partners.desk import PARTNERS
from core.vocab import Channel, StaffRole
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, Output, Page, Paging, page_of, paged
from frontdesk.staff.api.openapi import ADMIN, Api, Call
from frontdesk.staff.auth import by_token, csrf_token

routes = Api()
TAG = "staff"


class StaffOut(BaseModel):
    id: int
    login: str
    display_name: str
    role: StaffRole
    doctor_id: int | None
    active: bool
    branch_ids: list[int] | None = Field(description="A registrar's branches; null: all")

    @classmethod
    def of(cls, member: StaffMember, branch_ids: frozenset[int] | None) -> StaffOut:
        assert member.id is not None
        return cls(
            id=member.id,
            login=member.login,
            display_name=member.display_name,
            role=member.role,
            doctor_id=member.doctor_id,
            active=member.active,
            branch_ids=None if branch_ids is None else sorted(branch_ids),
        )


class Me(StaffOut):
    csrf_token: str | None = Field(
        description="Send as X-CSRF-Token on unsafe requests made with the session cookie"
    )


class StaffList(Page[StaffOut]):
    pass


class NewMember(Input):
    login: str = Field(min_length=1, max_length=100)
    display_name: str = Field(min_length=1, max_length=200)
    role: StaffRole
    password: str = Field(min_length=12, max_length=1024)
    doctor_id: Id | None = None
    branch_ids: list[Id] = Field(default_factory=list, max_length=100)


class Active(Input):
    active: bool


class NewToken(Input):
    name: str = Field(min_length=1, max_length=100)
    partner: Channel | None = Field(
        default=None,
        description="A partner's token (admins only): it opens the FHIR scheduling API "
        "(`/fhir`) as that partner's channel, and not this API",
        json_schema_extra={"enum": [p.value for p in PARTNERS]},
    )

    @field_validator("partner")
    @classmethod
    def _a_partner(cls, value: Channel | None) -> Channel | None:
        if value is not None and value not in PARTNERS:
            raise ValueError("not a partner")
        return value

    scope: Literal["documents:add"] | None = Field(
        default=None,
        description="Narrow the token: `documents:add` only adds documents (a laboratory's)",
    )


class TokenOut(Output):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    partner: Channel | None = Field(description="The partner a FHIR API token acts for")
    scope: str | None = Field(description="What a narrowed token opens (`documents:add`)")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(BaseModel):
    id: int
    prefix: str
    token: str = Field(description="Shown once: only its hash is kept")


class TokenList(Page[TokenOut]):
    pass


def accounts(request: web.Request) -> StaffAccounts:
    return request.app[keys.SERVICES].staff


@routes.route("GET", "/me", summary="Who is asking", tag=TAG, response=Me)
async def who_am_i(call: Call) -> Me:
    member = await accounts(call.request).get(call.scope.staff_id)
    return Me(
        **StaffOut.of(member, call.scope.branch_ids).model_dump(),
        csrf_token=None if by_token(call.request) else csrf_token(call.request),
    )


@routes.route(
    "GET", "/me/tokens", summary="My API tokens", tag=TAG, query=Paging, response=TokenList
)
async def my_tokens(call: Call) -> TokenList:
    tokens = await accounts(call.request).tokens(call.scope.staff_id)
    return page_of(TokenList, tokens, call.query_as(Paging))


@routes.route(
    "POST",
    "/me/tokens",
    summary="Issue an API token",
    tag=TAG,
    body=NewToken,
    response=IssuedTokenOut,
    status=201,
)
async def issue_token(call: Call) -> IssuedTokenOut:
    body = call.body_as(NewToken)
    issued = await accounts(call.request).issue_token(
        call.scope.staff_id, body.name, body.partner, body.scope
    )
    return IssuedTokenOut(id=issued.id, prefix=issued.prefix, token=issued.raw)


@routes.route(
    "DELETE", "/me/tokens/{token_id}", summary="Revoke an API token", tag=TAG, response=None
)
async def revoke_token(call: Call) -> None:
    await accounts(call.request).revoke_token(call.scope.staff_id, call.ids["token_id"])


@routes.route(
    "GET",
    "/staff",
    summary="Staff accounts",
    tag=TAG,
    roles=ADMIN,
    query=Paging,
    response=StaffList,
)
async def list_staff(call: Call) -> StaffList:
    q = call.query_as(Paging)
    staff = accounts(call.request)
    members = await staff.members(limit=q.limit + 1, offset=q.offset)
    items = [StaffOut.of(m, (await staff.scope(m)).branch_ids) for m in members[: q.limit]]
    return paged(StaffList, items, q, has_more=len(members) > q.limit)


@routes.route(
    "POST",
    "/staff",
    summary="Create a staff account",
    tag=TAG,
    roles=ADMIN,
    body=NewMember,
    response=StaffOut,
    status=201,
)
async def create_staff(call: Call) -> StaffOut:
    b = call.body_as(NewMember)
    staff = accounts(call.request)
    member = await staff.create(
        NewStaff(
            login=b.login,
            display_name=b.display_name,
            role=b.role,
            password=b.password,
            doctor_id=b.doctor_id,
            branch_ids=tuple(b.branch_ids),
        )
    )
    return StaffOut.of(member, (await staff.scope(member)).branch_ids)


@routes.route(
    "PUT",
    "/staff/{staff_id}/active",
    summary="Close or reopen an account",
    tag=TAG,
    roles=ADMIN,
    body=Active,
    response=StaffOut,
)
async def set_staff_active(call: Call) -> StaffOut:
    staff_id = call.ids["staff_id"]
    if staff_id == call.scope.staff_id:
        raise Forbidden("an admin cannot close their own account")
    staff = accounts(call.request)
    member = await staff.set_active(staff_id, call.body_as(Active).active)
    return StaffOut.of(member, (await staff.scope(member)).branch_ids)
