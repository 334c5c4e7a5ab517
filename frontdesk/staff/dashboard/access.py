"""Who is at the desk: the signed-in member and their scope, from `frontdesk.staff.auth`.

A visitor who is not signed in is sent to the login form and brought back to
the page they asked for; a member whose role does not allow a page gets 403.
Scope always comes from here, never from what a form says.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from core.desk.accounts import StaffAccounts
from core.desk.scope import StaffScope
from core.errors import AuthenticationFailed
from core.vocab import StaffRole
from frontdesk import keys
from frontdesk.staff import auth as staff_auth


@dataclass(frozen=True)
class Member:
    scope: StaffScope
    name: str
    csrf: str  # for the forms of the page


async def member_of(request: web.Request, *roles: StaffRole) -> Member:
    """The member asking, if their role is one of `roles` (any role when none given)."""
    try:
        scope = await staff_auth.require(request, *roles)
    except AuthenticationFailed:
        raise web.HTTPSeeOther(login_url(request)) from None
    signed_in = await staff_auth.current_staff(request)
    return Member(scope, signed_in.display_name, staff_auth.csrf_token(request))


def login_url(request: web.Request) -> str:
    """The login form, returning to this page (a form's page, for a posted form)."""
    after = request.path_qs if request.method == "GET" else request.path
    return str(URL(staff_auth.LOGIN_PAGE).with_query(next=after))


def accounts(request: web.Request) -> StaffAccounts:
    return request.app[keys.SERVICES].staff
