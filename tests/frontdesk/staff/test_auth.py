"""Signing in at the desk over real HTTP: the session cookie and its attributes, CSRF on
cookie-authenticated writes, bearer tokens exempt, throttled guessing, log out."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient
from yarl import URL

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk import keys
from frontdesk.staff.auth import SESSION_COOKIE
from testkit.staff_api import LOGIN_CSRF, World, log_in, start_world
from testkit.staff_desk import PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def world(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> World:
    return await start_world(aiohttp_client, database_url, db, clock)


async def test_login_sets_a_signed_http_only_lax_cookie(world: World) -> None:
    response = await log_in(world, next="/staff/bookings?day=1")
    assert response.status == 303
    assert response.headers["Location"] == "/staff/bookings?day=1"
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain http in the tests; see the https test below
    me = await world.client.get("/api/v1/me")
    body = await me.json()
    assert (body["login"], body["role"]) == ("reg", "registrar")
    assert body["csrf_token"]
    assert body["csrf_token"] != LOGIN_CSRF


async def test_the_cookie_is_secure_behind_https(
    aiohttp_client: AiohttpClient, database_url: str, db: Database, clock: FrozenClock
) -> None:
    world = await start_world(
        aiohttp_client, database_url, db, clock, public_base_url="https://clinic.example"
    )
    response = await log_in(world)
    assert response.cookies[SESSION_COOKIE]["secure"] is True


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/other"])
async def test_login_never_sends_the_browser_elsewhere(world: World, target: str) -> None:
    response = await log_in(world, next=target)
    assert response.headers["Location"] == "/staff/"


async def test_wrong_password_and_missing_csrf_go_back_to_the_form(world: World) -> None:
    wrong = await log_in(world, password="not the password")
    assert (wrong.status, wrong.headers["Location"]) == (303, "/staff/login?error=invalid")
    forged = await world.client.post(
        "/staff/login",
        data={"login": "reg", "password": PASSWORD, "csrf_token": "guessed"},
        allow_redirects=False,
    )
    assert forged.headers["Location"] == "/staff/login?error=csrf"
    assert SESSION_COOKIE not in forged.cookies
    assert (await world.client.get("/api/v1/me")).status == 401


async def test_guessing_passwords_is_throttled(world: World) -> None:
    for _ in range(5):
        assert (
            (await log_in(world, password="guess guess guess"))
            .headers["Location"]
            .endswith("error=invalid")
        )
    throttled = await log_in(world)  # even the right password now
    assert throttled.headers["Location"] == "/staff/login?error=throttled"


async def test_cookie_writes_need_the_csrf_token_bearer_writes_do_not(world: World) -> None:
    await log_in(world)
    csrf = (await (await world.client.get("/api/v1/me")).json())["csrf_token"]
    url = f"/api/v1/bookings/{world.booking_a}/cancel"
    refused = await world.client.post(url, json={"reason": "patient called"})
    assert refused.status == 403
    assert (await refused.json())["error"] == {
        "code": "forbidden",
        "message": "missing or wrong CSRF token",
        "reason": "csrf",
    }
    wrong = await world.client.post(
        url, json={"reason": "patient called"}, headers={"X-CSRF-Token": csrf + "x"}
    )
    assert wrong.status == 403
    done = await world.client.post(
        url, json={"reason": "patient called"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status == 200
    world.client.session.cookie_jar.clear()
    restored = await world.client.post(
        f"/api/v1/bookings/{world.booking_a}/restore", headers=world.auth("registrar")
    )
    assert restored.status == 200


async def test_a_tampered_cookie_is_no_session(world: World) -> None:
    await log_in(world)
    jar = world.client.session.cookie_jar
    value = next(c.value for c in jar if c.key == SESSION_COOKIE)
    jar.update_cookies(
        {SESSION_COOKIE: value[:-2] + ("AA" if not value.endswith("AA") else "BB")},
        URL(str(world.client.make_url("/"))),
    )
    assert (await world.client.get("/api/v1/me")).status == 401


async def test_logout_ends_the_session(world: World) -> None:
    await log_in(world)
    csrf = (await (await world.client.get("/api/v1/me")).json())["csrf_token"]
    refused = await world.client.post("/staff/logout", allow_redirects=False)
    assert refused.status == 403
    out = await world.client.post("/staff/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert (out.status, out.headers["Location"]) == (303, "/staff/login")
    assert (await world.client.get("/api/v1/me")).status == 401


async def test_a_new_password_ends_old_sessions(world: World) -> None:
    await log_in(world)
    assert (await world.client.get("/api/v1/me")).status == 200
    await world.client.app[keys.SERVICES].staff.set_password(
        world.desk.registrar.id, "a brand new passphrase"
    )
    assert (await world.client.get("/api/v1/me")).status == 401


async def test_tokens_issued_listed_used_and_revoked(world: World) -> None:
    issued = await world.call("admin", "POST", "/me/tokens", json={"name": "lab"}, status=201)
    assert issued["token"].startswith(issued["prefix"])
    mine = await world.call("admin", "GET", "/me/tokens")
    assert [t["name"] for t in mine["items"]] == ["admin tests", "lab"]
    assert "token" not in mine["items"][1]
    world.tokens["lab"] = issued["token"]
    assert (await world.call("lab", "GET", "/me"))["login"] == "admin"
    await world.call("admin", "DELETE", f"/me/tokens/{issued['id']}", status=204)
    await world.call("lab", "GET", "/me", status=401)
    await world.call("registrar", "DELETE", f"/me/tokens/{issued['id']}", status=404)


async def test_an_admin_issues_a_partners_token_for_the_fhir_api(world: World) -> None:
    body = {"name": "LUX MED scheduling", "partner": "luxmed"}
    await world.call("registrar", "POST", "/me/tokens", json=body, status=403)
    bad = await world.call(
        "admin", "POST", "/me/tokens", json=body | {"partner": "telegram"}, status=400
    )
    assert bad["error"]["code"] == "invalid_input"
    issued = await world.call("admin", "POST", "/me/tokens", json=body, status=201)
    listed = (await world.call("admin", "GET", "/me/tokens"))["items"]
    assert [t["partner"] for t in listed] == [None, "luxmed"]
    world.tokens["luxmed"] = issued["token"]
    await world.call("luxmed", "GET", "/me", status=401)  # the staff API is not the partner's
    fhir = await world.client.get(
        "/fhir/Slot", headers={"Authorization": f"Bearer {issued['token']}"}
    )
    assert fhir.status == 200


async def test_only_an_admin_manages_accounts(world: World) -> None:
    body = {
        "login": "nowa",
        "display_name": "Nowa Rejestratorka",
        "role": "registrar",
        "password": "long enough password",
        "branch_ids": [world.desk.other_branch.id],
    }
    for who in ("registrar", "doctor"):
        await world.call(who, "POST", "/staff", json=body, status=403)
        await world.call(who, "GET", "/staff", status=403)
    created = await world.call("admin", "POST", "/staff", json=body, status=201)
    assert (created["role"], created["branch_ids"]) == ("registrar", [world.desk.other_branch.id])
    listed = await world.call("admin", "GET", "/staff?limit=2")
    assert (len(listed["items"]), listed["has_more"]) == (2, True)
    assert "password" not in str(listed)
    assert "argon2" not in str(listed)


async def test_a_closed_account_loses_its_session_and_tokens(world: World) -> None:
    await log_in(world)
    assert (await world.client.get("/api/v1/me")).status == 200
    path = f"/staff/{world.desk.registrar.id}/active"
    await world.call(
        "admin", "PUT", f"/staff/{world.desk.admin.id}/active", json={"active": False}, status=403
    )  # never oneself
    closed = await world.call("admin", "PUT", path, json={"active": False})
    assert closed["active"] is False
    assert (await world.client.get("/api/v1/me")).status == 401
    await world.call("registrar", "GET", "/me", status=401)
    assert (await log_in(world)).headers["Location"] == "/staff/login?error=invalid"
    await world.call("admin", "PUT", path, json={"active": True})
    await world.call("registrar", "GET", "/me")
