"""Every operation of the staff API, read from the registry that also writes the OpenAPI
document: without credentials it answers 401, and each role it does not list gets 403
before anything is read or changed."""

from __future__ import annotations

import re

import pytest
from pytest_aiohttp import AiohttpClient

from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import StaffRole
from frontdesk.staff.api import MODULES
from frontdesk.staff.api.openapi import PREFIX, Operation
from testkit.staff_api import World, start_world

# Storage plays no part in who may call what.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
OPERATIONS = [op for module in MODULES for op in module.routes.operations]
TOKEN_OF = {
    StaffRole.ADMIN: "admin",
    StaffRole.REGISTRAR: "registrar",
    StaffRole.DOCTOR: "doctor",
}


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


def url(op: Operation) -> str:
    return PREFIX + re.sub(r"\{\w+\}", "1", op.path)


def test_the_document_lists_every_operation_once() -> None:
    keys = [(op.method, op.path) for op in OPERATIONS]
    assert len(keys) == len(set(keys))
    assert len({op.operation_id for op in OPERATIONS}) == len(OPERATIONS)


@SQLITE
async def test_the_document_is_served(world: World) -> None:
    response = await world.client.get("/api/v1/openapi.json")
    document = await response.json()
    served = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert served == {(op.method, PREFIX + op.path) for op in OPERATIONS}


@SQLITE
async def test_no_credentials_no_access(world: World) -> None:
    """One world for every operation (seeding one per case would be slow); the list of
    what answered otherwise is the failure message."""
    wrong = []
    for op in OPERATIONS:
        response = await world.client.request(op.method, url(op), json={})
        body = await response.json()
        if (response.status, body["error"]["code"]) != (401, "authentication_failed"):
            wrong.append((op.method, op.path, response.status))
    assert wrong == []


@SQLITE
async def test_roles_not_listed_are_refused(world: World) -> None:
    refused, wrong = 0, []
    for op in OPERATIONS:
        for role in StaffRole:
            if role in op.roles:
                continue
            response = await world.client.request(
                op.method, url(op), json={}, headers=world.auth(TOKEN_OF[role])
            )
            body = await response.json()
            if (response.status, body["error"]["code"]) != (403, "forbidden"):
                wrong.append((op.method, op.path, role.value, response.status))
            refused += 1
    assert wrong == []
    assert refused > 30  # desk-only and admin-only operations, asked by the other roles
