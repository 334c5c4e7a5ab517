"""The catalog's names at the desk (`/staff/services`): the services, the branches and the
doctors' titles in the member's language with every translation, and for an admin one form
per item replacing its en, uk and ru texts through the staff API's core operation
(`CatalogNames`, its length limits) after the one text guard (`edge.text.problem`). The
Polish, the row's own name, stays as it is and is every language's fallback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from core.clinic.translations import CatalogNames
from core.errors import InvalidInput
from core.vocab import StaffRole
from edge.text import clean, problem
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import page

# The languages the form holds; Polish is the row's own name, edited elsewhere.
FORM_LANGUAGES = ("en", "uk", "ru")
PAGE = "/staff/services"

# What a form replaces, by the item's kind: its current texts, and the core operation.
Current = Callable[[Desk], Awaitable[dict[int, dict[str, str]]]]
Store = Callable[[CatalogNames, int, dict[str, str]], Awaitable[object]]


@dataclass(frozen=True)
class Edited:
    """A refused form: which item's (`anchor`, e.g. "service-3"), what it held, and why."""

    anchor: str
    sent: Mapping[str, str]
    refused: InvalidInput


def setup(r: web.UrlDispatcher, id_pattern: str) -> None:
    r.add_get(PAGE, services, name="staff-services")
    r.add_post(f"{PAGE}/{id_pattern}/names", service_names, name="staff-service-names")
    r.add_post(f"/staff/branches/{id_pattern}/names", branch_names, name="staff-branch-names")
    r.add_post(f"/staff/doctors/{id_pattern}/titles", doctor_titles, name="staff-doctor-titles")


async def services(request: web.Request) -> web.Response:
    return await _page(request, await member_of(request))


async def _page(request: web.Request, member: Member, edited: Edited | None = None) -> web.Response:
    """The page; after a refused form, again with what was wrong above that form."""
    catalog = Desk.of(request).catalog
    return page(
        request,
        "services.html",
        status=400 if edited else 200,
        member=member,
        services=await catalog.services(),
        branches=await catalog.branches(),
        doctors=await catalog.doctors(),
        editable=member.scope.role is StaffRole.ADMIN,
        form_languages=FORM_LANGUAGES,
        edited=edited,
    )


async def service_names(request: web.Request) -> web.Response:
    """`POST /staff/services/{id}/names` (en, uk, ru), admins only."""

    async def current(desk: Desk) -> dict[int, dict[str, str]]:
        return {s.id: s.names for s in await desk.catalog.services() if s.id is not None}

    return await _save(request, "service", current, CatalogNames.set_service_names)


async def branch_names(request: web.Request) -> web.Response:
    """`POST /staff/branches/{id}/names` (en, uk, ru), admins only."""

    async def current(desk: Desk) -> dict[int, dict[str, str]]:
        return {b.id: b.names for b in await desk.catalog.branches() if b.id is not None}

    return await _save(request, "branch", current, CatalogNames.set_branch_names)


async def doctor_titles(request: web.Request) -> web.Response:
    """`POST /staff/doctors/{id}/titles` (en, uk, ru), admins only."""

    async def current(desk: Desk) -> dict[int, dict[str, str]]:
        return {d.id: d.titles for d in await desk.catalog.doctors() if d.id is not None}

    return await _save(request, "doctor", current, CatalogNames.set_doctor_titles)


async def _save(request: web.Request, kind: str, current: Current, store: Store) -> web.Response:
    """The item's texts in the form's languages replaced (an empty one removed, so Polish is
    read instead), those in other languages kept; back to the page, or the page again with
    the refusal above the form."""
    member = await member_of(request, StaffRole.ADMIN)
    item_id = forms.path_id(request.match_info["id"])
    values = await forms.posted(request)
    sent = {code: values.get(code, "") for code in FORM_LANGUAGES}
    anchor = f"{kind}-{item_id}"
    try:
        _guard(sent)
        kept = (await current(Desk.of(request))).get(item_id, {})
        await store(request.app[keys.SERVICES].catalog_names, item_id, {**kept, **sent})
    except InvalidInput as refused:
        shown = {code: clean(text, len(text)) for code, text in sent.items()}
        return await _page(request, member, Edited(anchor, shown, refused))
    raise web.HTTPSeeOther(f"{PAGE}#{anchor}")


def _guard(sent: Mapping[str, str]) -> None:
    """The staff API's guard for every text it takes, so a form is refused as the API is."""
    for code, text in sent.items():
        refused = problem(text)
        if refused is not None:
            raise InvalidInput(refused, field=code, reason="unstorable")
