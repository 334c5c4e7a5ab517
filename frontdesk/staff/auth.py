"""Who is asking, for the staff pages and the staff API: a signed session cookie or a
bearer token, the role and scope checks, CSRF protection, and log in / log out.

The session cookie holds the staff id, a fingerprint of their password hash (a
new password ends old sessions) and the session's CSRF token, signed with
SECRET_KEY (itsdangerous) and expiring after `SESSION_MAX_AGE`. It is HttpOnly,
SameSite=Lax, and Secure when PUBLIC_BASE_URL is https.

CSRF: every unsafe request (POST, PUT, PATCH, DELETE) authenticated by the
cookie must carry the session's token in the `csrf_token` form field or the
`X-CSRF-Token` header; requests with `Authorization: Bearer` carry no ambient
credentials and are exempt. The login form has a token too (an anonymous
session), so nobody can log a victim into the attacker's account.

The dashboard renders `GET /staff/login` (with `csrf_token(request)` in the form
and `?error=invalid|throttled` shown when present); `POST /staff/login` and
`POST /staff/logout` are served here (`setup_staff_auth`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from http.cookies import SimpleCookie

from aiohttp import hdrs, web
from itsdangerous import BadSignature, URLSafeTimedSerializer
from yarl import URL

from core.desk.accounts import StaffAccounts, session_key
from core.desk.scope import StaffScope
from core.errors import AuthenticationFailed, Forbidden, NotFound, Throttled
from core.models import StaffMember
from core.vocab import StaffRole
from frontdesk import keys

log = logging.getLogger(__name__)

SESSION_COOKIE = "frontdesk_staff"
SESSION_MAX_AGE = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PAGE = "/staff/login"
HOME_PAGE = "/staff/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Session:
    csrf: str
    staff_id: int | None = None
    key: str | None = None  # session_key(member) when it was signed


@dataclass(frozen=True)
class Who:
    """The authenticated member of this request, their scope, and how they proved it."""

    member: StaffMember
    scope: StaffScope
    by_token: bool
    token_scope: str | None = None  # a narrowed token: only operations naming it


SIGNER = web.AppKey("staff_session_signer", URLSafeTimedSerializer)
_SESSION = web.RequestKey("staff_session", Session)
_SAVE = web.RequestKey("staff_session_save", bool)
_WHO = web.RequestKey("staff_who", Who)


def setup_staff_auth(app: web.Application) -> None:
    """The session signer, the cookie writer and the log in / log out routes."""
    app[SIGNER] = URLSafeTimedSerializer(
        app[keys.SETTINGS].secret_bytes(), salt="frontdesk.staff-session"
    )
    app.on_response_prepare.append(_write_session)
    app.router.add_post(LOGIN_PAGE, login, name="staff-login-post")
    app.router.add_post("/staff/logout", logout, name="staff-logout")


# -- who is asking -----------------------------------------------------------------


async def current_staff(request: web.Request) -> StaffMember:
    """The authenticated member, or `AuthenticationFailed` (401 JSON); a cookie-authenticated
    unsafe request without the session's CSRF token is `Forbidden` (403)."""
    return (await _who(request)).member


async def require(
    request: web.Request, *roles: StaffRole, token_scope: str | None = None
) -> StaffScope:
    """The scope of the member asking, if their role is one of `roles` (all when none given);
    403 `forbidden` otherwise. A narrowed token passes only where `token_scope` names its
    scope: a laboratory's token adds documents and is refused everywhere else."""
    who = await _who(request)
    if who.token_scope is not None and who.token_scope != token_scope:
        raise Forbidden("this token may not do this", reason="token_scope")
    scope = who.scope
    if roles:
        scope.require(*roles)
    return scope


def signed_in(request: web.Request) -> StaffMember | None:
    """The member this request was already authenticated as, if it was (no lookup)."""
    return request[_WHO].member if _WHO in request else None


def by_token(request: web.Request) -> bool:
    """Whether this request's member (already authenticated) showed a bearer token."""
    return _WHO in request and request[_WHO].by_token


async def _who(request: web.Request) -> Who:
    if _WHO in request:
        return request[_WHO]
    accounts = request.app[keys.SERVICES].staff
    bearer = _bearer(request)
    if bearer is not None:
        holder = await accounts.token_holder(bearer)
        member = holder.member
        who = Who(member, await accounts.scope(member), by_token=True, token_scope=holder.scope)
    else:
        session = _read_cookie(request)  # a visitor is refused without being given a cookie
        if session is None or session.staff_id is None or session.key is None:
            raise AuthenticationFailed("log in first")
        try:
            member = await accounts.get(session.staff_id)
        except NotFound:
            raise AuthenticationFailed("log in first") from None
        if not member.active or not hmac.compare_digest(session.key, session_key(member)):
            raise AuthenticationFailed("log in first")
        await check_csrf(request)
        who = Who(member, await accounts.scope(member), by_token=False)
    request[_WHO] = who
    return who


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise AuthenticationFailed("use Authorization: Bearer <token>")
    return raw.strip()


# -- the session cookie -------------------------------------------------------------


def _session(request: web.Request) -> Session:
    if _SESSION in request:
        return request[_SESSION]
    session = _read_cookie(request) or Session(csrf=secrets.token_urlsafe(32))
    if session.staff_id is None and SESSION_COOKIE not in request.cookies:
        request[_SAVE] = True  # a new anonymous session: its CSRF token must reach the browser
    request[_SESSION] = session
    return session


def _read_cookie(request: web.Request) -> Session | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = request.app[SIGNER].loads(raw, max_age=int(SESSION_MAX_AGE.total_seconds()))
    except BadSignature:  # forged, tampered with or expired: start afresh
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    staff_id, key = data.get("s"), data.get("k")
    if not (isinstance(staff_id, int) and isinstance(key, str)):
        staff_id, key = None, None
    return Session(csrf=data["c"], staff_id=staff_id, key=key)


def _start(request: web.Request, session: Session) -> None:
    request[_SESSION] = session
    request[_SAVE] = True


async def _write_session(request: web.Request, response: web.StreamResponse) -> None:
    if not request.get(_SAVE):
        return
    session = request[_SESSION]
    payload: dict[str, object] = {"c": session.csrf}
    if session.staff_id is not None:
        payload |= {"s": session.staff_id, "k": session.key}
    # aiohttp has already turned `response.cookies` into headers when on_response_prepare
    # runs, so the cookie is written as a header of its own.
    cookie: SimpleCookie = SimpleCookie()
    cookie[SESSION_COOKIE] = request.app[SIGNER].dumps(payload)
    morsel = cookie[SESSION_COOKIE]
    morsel["max-age"] = int(SESSION_MAX_AGE.total_seconds())
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if _https(request):
        morsel["secure"] = True
    response.headers.add(hdrs.SET_COOKIE, morsel.OutputString())


def _https(request: web.Request) -> bool:
    base = request.app[keys.SETTINGS].public_base_url
    return base is not None and base.startswith("https://")


# -- CSRF ---------------------------------------------------------------------------


def csrf_token(request: web.Request) -> str:
    """The token a form of this session must send back (in `csrf_token`)."""
    return _session(request).csrf


async def check_csrf(request: web.Request) -> None:
    """An unsafe request must echo the session's token; `Forbidden` otherwise."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        field = (await request.post()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    expected = _read_cookie(request)
    if sent is None or expected is None or not hmac.compare_digest(sent, expected.csrf):
        raise Forbidden("missing or wrong CSRF token", reason="csrf")


# -- log in, log out ------------------------------------------------------------------


async def login(request: web.Request) -> web.StreamResponse:
    """`POST /staff/login` (form: login, password, csrf_token, next): on success a new
    session and 303 to `next` (a /staff/ page); on failure 303 back to the form with
    `?error=invalid` or `?error=throttled`."""
    form = await request.post()
    after = _safe_next(form.get("next"))
    try:
        await check_csrf(request)
    except Forbidden:
        return _back_to_form(after, "csrf")
    name, password = form.get("login"), form.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        return _back_to_form(after, "invalid")
    accounts: StaffAccounts = request.app[keys.SERVICES].staff
    try:
        member = await accounts.authenticate(name, password, source=request.remote)
    except Throttled:
        log.warning("staff login throttled")
        return _back_to_form(after, "throttled")
    except AuthenticationFailed:
        log.info("staff login failed")
        return _back_to_form(after, "invalid")
    log.info("staff member %s logged in", member.id)
    # A fresh CSRF token: one planted before the login is worth nothing after it.
    _start(
        request,
        Session(csrf=secrets.token_urlsafe(32), staff_id=member.id, key=session_key(member)),
    )
    return _see_other(after)


async def logout(request: web.Request) -> web.StreamResponse:
    """`POST /staff/logout` (with the CSRF token): the cookie is replaced by an anonymous
    session and the browser goes back to the login form."""
    session = _session(request)
    if session.staff_id is not None:
        await check_csrf(request)
    _start(request, replace(session, csrf=secrets.token_urlsafe(32), staff_id=None, key=None))
    return _see_other(LOGIN_PAGE)


def _safe_next(value: object) -> str:
    """Only a path of the dashboard: never another site (`//evil`, `https://...`)."""
    if isinstance(value, str) and value.startswith(HOME_PAGE) and "\\" not in value:
        return value
    return HOME_PAGE


def _back_to_form(after: str, error: str) -> web.StreamResponse:
    query = {"error": error} if after == HOME_PAGE else {"error": error, "next": after}
    return _see_other(str(URL(LOGIN_PAGE).with_query(query)))


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
