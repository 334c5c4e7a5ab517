"""The partners page: per partner, what it refused (with its own message) to retry or
discard, what it does not know yet, and the mappings of our doctors, services and
branches to its ids. Registrars read it; admins change it (as in the staff API)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from core.partners.desk import PARTNERS, PartnerDesk
from core.vocab import MappingKind, StaffRole
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.render import language_of, page

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
NAMES = tuple(p.value for p in PARTNERS)
# What an admin maps from the page (a patient is linked by the partner itself, ONDOC).
MAPPED_HERE = (MappingKind.DOCTOR, MappingKind.SERVICE, MappingKind.BRANCH)


async def first_partner(request: web.Request) -> web.Response:
    await member_of(request, *DESK)
    raise web.HTTPSeeOther(f"/staff/partners/{NAMES[0]}")


async def partner(request: web.Request) -> web.Response:
    """`GET /staff/partners/{partner}`."""
    member = await member_of(request, *DESK)
    name = request.match_info["partner"]
    desk = Desk.of(request)
    partners = _desk(request)
    failures = await partners.failures(name)
    mappings = await partners.mappings(name)
    return page(
        request,
        "partners.html",
        member=member,
        partner=name,
        partners=NAMES,
        failures=failures,
        unmapped=await partners.unmapped(name),
        mappings=mappings,
        ours=await _names(desk, language_of(request)),
        kinds=MAPPED_HERE,
        timezone=await desk.zone(),
    )


async def retry(request: web.Request) -> web.Response:
    """`POST /staff/partners/{partner}/failures/{id}/retry`, admins only."""
    await member_of(request, StaffRole.ADMIN)
    name, operation_id = request.match_info["partner"], forms.path_id(request.match_info["id"])
    await _desk(request).retry(name, operation_id)
    raise web.HTTPSeeOther(f"/staff/partners/{name}")


async def discard(request: web.Request) -> web.Response:
    """`POST /staff/partners/{partner}/failures/{id}/discard`, admins only."""
    await member_of(request, StaffRole.ADMIN)
    name, operation_id = request.match_info["partner"], forms.path_id(request.match_info["id"])
    await _desk(request).discard(name, operation_id)
    raise web.HTTPSeeOther(f"/staff/partners/{name}")


async def map_one(request: web.Request) -> web.Response:
    """`POST /staff/partners/{partner}/map` (ours, remote_id), admins only."""
    await member_of(request, StaffRole.ADMIN)
    name = request.match_info["partner"]
    values = await forms.posted(request)
    kind, local_id = _ours(values)
    await _desk(request).map(name, kind, local_id, forms.text(values, "remote_id", 200))
    raise web.HTTPSeeOther(f"/staff/partners/{name}#mappings")


async def unmap_one(request: web.Request) -> web.Response:
    """`POST /staff/partners/{partner}/unmap` (ours), admins only."""
    await member_of(request, StaffRole.ADMIN)
    name = request.match_info["partner"]
    kind, local_id = _ours(await forms.posted(request))
    await _desk(request).unmap(name, kind, local_id)
    raise web.HTTPSeeOther(f"/staff/partners/{name}#mappings")


def _ours(values: Mapping[str, str]) -> tuple[MappingKind, int]:
    """Which of ours a form names, as `kind:id` (one field, so the two always agree)."""
    kind, _, local_id = values.get("ours", "").partition(":")
    return (
        forms.required_choice({"kind": kind}, "kind", MappingKind),
        forms.required_id({"ours": local_id}, "ours"),
    )


def _desk(request: web.Request) -> PartnerDesk:
    return request.app[keys.SERVICES].partner_desk


async def _names(desk: Desk, language: str) -> dict[str, dict[int, str]]:
    """Our doctors, services and branches by id, to name what a mapping points at (in the
    member's language)."""
    return {
        MappingKind.DOCTOR: await desk.catalog.doctor_names(language),
        MappingKind.SERVICE: await desk.catalog.service_names(language),
        MappingKind.BRANCH: await desk.catalog.branch_names(language),
    }


def setup(r: web.UrlDispatcher) -> None:
    """The page's routes; a partner's name is checked by `PartnerDesk` (404 otherwise)."""
    name, op = r"/staff/partners/{partner:[a-z]{1,20}}", r"failures/{id:\d{1,10}}"
    r.add_get("/staff/partners", first_partner, name="staff-partners")
    r.add_get(name, partner, name="staff-partner")
    r.add_post(f"{name}/{op}/retry", retry, name="staff-partner-retry")
    r.add_post(f"{name}/{op}/discard", discard, name="staff-partner-discard")
    r.add_post(f"{name}/map", map_one, name="staff-partner-map")
    r.add_post(f"{name}/unmap", unmap_one, name="staff-partner-unmap")
