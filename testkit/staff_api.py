"""A running app over the two-branch desk, with a bearer token per role, and signing in
through the login form with its CSRF token; for the staff API's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from core.vocab import Channel
from frontdesk.access_log import PathOnlyAccessLogger
from frontdesk.app import create_app
from frontdesk.settings import Settings
from frontdesk.staff.auth import SESSION_COOKIE, SIGNER
from testkit.factories import adult
from testkit.staff_desk import FAST_HASHER, PASSWORD, Desk, desk

Client = TestClient[web.Request, Any]

# Wednesday 2 December 2026, 09:00 and 10:00 in Warsaw (UTC+1).
NINE = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
TEN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LOGIN_CSRF = "login-form-token"


@dataclass
class Seeded:
    desk: Desk
    tokens: dict[str, str]  # "admin", "registrar", "other_registrar", "doctor"
    patient_id: int
    booking_a: int  # the internist's visit at Mokotów (branch A)
    booking_b: int  # the other doctor's visit at Wola (branch B)


@dataclass
class World(Seeded):
    client: Client

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, who: str, method: str, path: str, *, status: int = 200, **kwargs: Any
    ) -> Any:
        response = await self.client.request(
            method, "/api/v1" + path, headers=self.auth(who), **kwargs
        )
        body = await response.json() if response.status != 204 else None
        assert response.status == status, (response.status, body)
        return body


async def start_world(
    aiohttp_client: Any, database_url: str, db: Database, clock: FrozenClock, **settings: Any
) -> World:
    """The app served as `frontdesk serve` serves it (the access log without query
    strings) over the seeded desk."""
    app = create_app(
        Settings(database_url=database_url, secret_key="k" * 32, **settings), clock=clock
    )
    server = TestServer(app)
    await server.start_server(access_log_class=PathOnlyAccessLogger)
    return await build_world(db, clock, await aiohttp_client(server))


async def build_world(db: Database, clock: FrozenClock, client: Client) -> World:
    seeded = await seed(db, clock)
    return World(**vars(seeded), client=client)


async def seed(db: Database, clock: FrozenClock) -> Seeded:
    accounts = StaffAccounts(db, clock, hasher=FAST_HASHER)
    staff = await desk(db, clock, accounts)
    tokens = {}
    for role in ("admin", "registrar", "other_registrar", "doctor"):
        member = getattr(staff, role)
        tokens[role] = (await accounts.issue_token(member.id, f"{role} tests")).raw
    patient_id = await adult(db, clock)
    booking = BookingService(db, clock)
    actor = Actor.patient(patient_id, Channel.TELEGRAM)
    clinic = staff.clinic
    assert clinic.consult.id is not None
    assert clinic.internist.id is not None
    assert staff.other_doctor.id is not None
    a = await booking.book(
        actor, VisitRequest(patient_id, clinic.consult.id, clinic.internist.id, NINE)
    )
    b = await booking.book(
        actor, VisitRequest(patient_id, clinic.consult.id, staff.other_doctor.id, NINE)
    )
    assert a.id is not None
    assert b.id is not None
    return Seeded(staff, tokens, patient_id, a.id, b.id)


def anonymous_session(world: World) -> None:
    """What the login page leaves in the browser: a session with the form's CSRF token."""
    signer = world.client.app[SIGNER]
    world.client.session.cookie_jar.update_cookies(
        {SESSION_COOKIE: signer.dumps({"c": LOGIN_CSRF})}, URL(str(world.client.make_url("/")))
    )


async def log_in(world: World, login: str = "reg", password: str = PASSWORD, **form: str):
    anonymous_session(world)
    return await world.client.post(
        "/staff/login",
        data={"login": login, "password": password, "csrf_token": LOGIN_CSRF, **form},
        allow_redirects=False,
    )
