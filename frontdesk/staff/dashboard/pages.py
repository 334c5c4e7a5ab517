"""The pages around the work: the login form, the language choice, and errors shown as
pages of the dashboard rather than as the API's JSON."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from core.errors import AuthenticationFailed, DomainError, InvalidInput
from edge.errors import status_of
from edge.i18n import LANGUAGES
from frontdesk.staff import auth as staff_auth
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import accounts, login_url
from frontdesk.staff.dashboard.render import LANGUAGE_COOKIE, page

PREFIX = "/staff/"
LOGIN_ERRORS = frozenset({"invalid", "throttled", "csrf"})
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(forms.HOME)


async def login_form(request: web.Request) -> web.Response:
    """`GET /staff/login`; the form posts to `frontdesk.staff.auth.login`."""
    error = request.query.get("error")
    return page(
        request,
        "login.html",
        member=None,
        csrf=staff_auth.csrf_token(request),
        error=error if error in LOGIN_ERRORS else None,
        next=forms.back_to(request.query, staff_auth.HOME_PAGE),
    )


async def choose_language(request: web.Request) -> web.Response:
    """`POST /staff/language`: the member's language, kept on their account when signed in
    (any browser they use), and in a cookie for a year (the login page's)."""
    await staff_auth.check_csrf(request)
    values = await forms.posted(request)
    language = values.get("language", "")
    if language not in LANGUAGES:
        raise InvalidInput("unknown language", field="language")
    try:
        member = await staff_auth.current_staff(request)
    except AuthenticationFailed:
        member = None
    if member is not None and member.id is not None:
        await accounts(request).set_language(member.id, language)
    response = web.HTTPSeeOther(forms.back_to(values))
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="Lax",
    )
    raise response


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /staff/: a domain error or an HTTP error becomes a page in the member's
    language saying what went wrong (its stable code picks the text), with its status."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except AuthenticationFailed:
        raise web.HTTPSeeOther(login_url(request)) from None
    except DomainError as error:
        return page(
            request,
            "error.html",
            status=status_of(error),
            member=None,
            code=error.code,
            reason=str(error.details.get("reason", "")),
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return page(
            request,
            "error.html",
            status=exc.status,
            member=None,
            code=f"http_{exc.status}",
            reason="",
        )
