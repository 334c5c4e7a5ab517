"""`/b/<token>`: the mobile page a single-use booking link opens, with no login.

GET shows the link's services, then the next free times of the one chosen (of the
doctors the link offers); POST books one through `BookingLinks.book`, the chat's own
booking operation. A time taken meanwhile shows the next free times again; a forged,
expired or used link gets a polite page and a 404 or 410. The page names no patient:
the token is the only credential, and the newcomer's names are asked only for a phone
with no card. Server-rendered, no script, in the link's language unless `?lang=`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from core.clinic.names import local_name
from core.errors import (
    BookingLinkInvalid,
    HoldExpired,
    InvalidInput,
    NotFound,
    OutsideAvailability,
    RestrictionViolated,
    SlotTaken,
)
from core.messaging.booking_links import LINK_CHANNEL, Newcomer, OpenLink
from core.messaging.templates import until_day
from core.models import Booking, Service
from core.schedule.search import FreeSlot, SlotQuery
from edge.i18n import LANGUAGE_NAMES, Texts, pick_language
from frontdesk import keys

TIMES_SHOWN = 8
NAME_MAX = 100
_REFUSED_STATUS = {"forged": 404, "expired": 410, "used": 410}
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token must not leave in a Referer
    "X-Robots-Tag": "noindex",
}


@dataclass(frozen=True)
class TimeChoice:
    value: str  # "<doctor id>|<ISO start>", the radio button's value
    day: str
    time: str
    doctor: str
    branch: str


async def show(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    links = request.app[keys.SERVICES].booking_links
    try:
        link = await links.open(token)
    except BookingLinkInvalid as refused:
        return _refused(request, refused.reason)
    service_id = _int(request.query.get("service"))
    return await _page(request, link, service_id)


async def book(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    services = request.app[keys.SERVICES]
    try:
        link = await services.booking_links.open(token)
    except BookingLinkInvalid as refused:
        return _refused(request, refused.reason)
    form = await request.post()
    service_id = _int(_field(form, "service"))
    chosen = _field(form, "slot").split("|", 1)
    newcomer = None
    if not link.known_patient:
        first, last = _field(form, "first_name").strip(), _field(form, "last_name").strip()
        if not first or not last or len(first) > NAME_MAX or len(last) > NAME_MAX:
            return await _page(request, link, service_id, problem="names", status=400)
        newcomer = Newcomer(first, last)
    doctor_id, start_at = _int(chosen[0]), _when(chosen[-1])
    if service_id is None or doctor_id is None or start_at is None or len(chosen) != 2:
        return await _page(request, link, service_id, problem="choose", status=400)
    try:
        booking = await services.booking_links.book(
            token, service_id=service_id, doctor_id=doctor_id, start_at=start_at, newcomer=newcomer
        )
    except BookingLinkInvalid as refused:
        return _refused(request, refused.reason)
    except (SlotTaken, OutsideAvailability, HoldExpired):
        return await _page(request, link, service_id, problem="taken", status=409)
    except RestrictionViolated:
        return await _page(request, link, service_id, problem="restricted", status=422)
    except (InvalidInput, NotFound):
        return await _page(request, link, service_id, problem="choose", status=400)
    return await _booked(request, link, booking)


def _language(request: web.Request, link_language: str) -> str:
    return pick_language(request.query.get("lang")) or link_language


def _render(
    request: web.Request, template: str, language: str, status: int, **context: Any
) -> web.Response:
    html = (
        request.app[keys.PAGES][language]
        .get_template(template)
        .render(lang=language, languages=LANGUAGE_NAMES, **context)
    )
    return web.Response(
        text=html, status=status, content_type="text/html", headers=_SECURITY_HEADERS
    )


def _refused(request: web.Request, reason: str) -> web.Response:
    language = _language(request, "pl")
    status = _REFUSED_STATUS.get(reason, 404)
    return _render(request, "link_refused.html", language, status, reason=reason, here=request.path)


async def _page(
    request: web.Request,
    link: OpenLink,
    service_id: int | None,
    *,
    problem: str | None = None,
    status: int = 200,
) -> web.Response:
    language = _language(request, link.language)
    services = request.app[keys.SERVICES]
    offered = await _offered_services(request, link)
    if service_id is None and len(offered) == 1:
        service_id = offered[0].id
    chosen = next((s for s in offered if s.id == service_id), None)
    times: list[TimeChoice] = []
    if chosen is not None:
        assert chosen.id is not None
        times = await _times(request, link, chosen.id, Texts(language))
    return _render(
        request,
        "booking_link.html",
        language,
        status,
        here=request.path,
        services=[(s.id, local_name(s, language), s.duration_minutes) for s in offered],
        chosen=chosen.id if chosen is not None else None,
        chosen_name=local_name(chosen, language) if chosen is not None else "",
        times=times,
        ask_names=not link.known_patient,
        problem=problem,
        until=until_day(link.expires_at, await _zone(services.catalog), language),
    )


async def _offered_services(request: web.Request, link: OpenLink) -> list[Service]:
    """The link's services, else every service the web may book without a referral."""
    catalog = request.app[keys.SERVICES].catalog
    every = await catalog.services()
    if link.service_ids:
        return [s for s in every if s.id in link.service_ids]
    if link.doctor_ids:
        performed = {s.id for doctor in link.doctor_ids for s in await catalog.services_of(doctor)}
        return [s for s in every if s.id in performed and not s.referral_required]
    return [s for s in every if not s.referral_required]


async def _times(
    request: web.Request, link: OpenLink, service_id: int, texts: Texts
) -> list[TimeChoice]:
    """The next free times of the service, among the link's doctors, earliest first."""
    services = request.app[keys.SERVICES]
    doctors: tuple[int | None, ...] = link.doctor_ids or (None,)
    found: list[FreeSlot] = []
    for doctor in doctors:
        found += await services.search.find(
            SlotQuery(LINK_CHANNEL, service_id=service_id, doctor_id=doctor, limit=TIMES_SHOWN)
        )
    found = sorted(found, key=lambda slot: slot.start_at)[:TIMES_SHOWN]
    names = await services.catalog.doctor_names()
    branches = {b.id: b.name for b in await services.catalog.branches()}
    return [
        TimeChoice(
            value=f"{slot.doctor_id}|{slot.start_at.isoformat()}",
            day=texts.day(slot.start_at, slot.timezone),
            time=texts.time(slot.start_at, slot.timezone),
            doctor=names.get(slot.doctor_id, ""),
            branch=branches.get(slot.branch_id, ""),
        )
        for slot in found
    ]


async def _booked(request: web.Request, link: OpenLink, booking: Booking) -> web.Response:
    language = _language(request, link.language)
    catalog = request.app[keys.SERVICES].catalog
    branch = await catalog.branch(booking.branch_id)
    service = await catalog.service(booking.service_id)
    texts = Texts(language)
    return _render(
        request,
        "link_booked.html",
        language,
        200,
        here=request.path,
        day=texts.day(booking.start_at, branch.timezone),
        time=texts.time(booking.start_at, branch.timezone),
        service=local_name(service, language),
        doctor=(await catalog.doctor_names()).get(booking.doctor_id, ""),
        branch=branch.name,
        address=f"{branch.address}, {branch.city}",
        phone=branch.phone,
    )


async def _zone(catalog: Any) -> str:
    branches = await catalog.branches()
    return branches[0].timezone if branches else "Europe/Warsaw"


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _int(raw: str | None) -> int | None:
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        return None
    return int(raw)


def _when(raw: str) -> datetime | None:
    if len(raw) > 40:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
