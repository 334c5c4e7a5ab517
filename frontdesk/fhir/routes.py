"""The FHIR handlers under `/fhir`: the CapabilityStatement (public), Slot search, and
Appointment `$find`, `$hold`, `$book` (also cancelling) and read, for a partner's token.

Each handler reads FHIR (`read.py`), calls the engine as the partner
(core/partners/direct.py, the slot search of the partner's channel) and renders FHIR
(`render.py`); what goes wrong is raised and answered by `outcome.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from core.errors import InvalidInput, NotFound
from core.models import Hold, Service
from core.partners.direct import Visit
from core.schedule.search import MAX_LIMIT, SlotQuery
from core.vocab import Channel
from frontdesk import keys
from frontdesk.fhir.auth import partner_of
from frontdesk.fhir.capability import capability_statement
from frontdesk.fhir.ids import Booked, Held, Proposed, appointment_id
from frontdesk.fhir.outcome import fhir_response
from frontdesk.fhir.read import (
    Parameters,
    Window,
    arrival,
    instant,
    number_id,
    reference_to,
    resource_of,
)
from frontdesk.fhir.render import (
    SERVICES,
    Names,
    booked,
    bundle,
    healthcare_service,
    pending,
    proposed,
    schedule,
    slot,
)

DEFAULT_COUNT = 20
LONGEST_SEARCH = timedelta(days=366)
SLOT_PARAMETERS = frozenset(
    {"service-type", "schedule", "schedule.actor", "start", "status", "_count"}
)
FIND_PARAMETERS = frozenset(
    {"start", "end", "service-type", "specialty", "practitioner", "location", "_count"}
)
_ID = r"{id:[A-Za-z0-9\-.]{1,64}}"


def setup_fhir(app: web.Application) -> None:
    app.router.add_get("/fhir/metadata", metadata, name="fhir-metadata")
    app.router.add_get("/fhir/Slot", search_slots, name="fhir-slots")
    app.router.add_get("/fhir/Schedule/" + _ID, read_schedule, name="fhir-schedule")
    app.router.add_get("/fhir/HealthcareService", services, name="fhir-services")
    app.router.add_get("/fhir/Appointment/$find", find, name="fhir-find")
    app.router.add_post("/fhir/Appointment/$find", find, name="fhir-find-post")
    app.router.add_post("/fhir/Appointment/$hold", hold, name="fhir-hold")
    app.router.add_post("/fhir/Appointment/$book", book, name="fhir-book")
    app.router.add_get("/fhir/Appointment/" + _ID, read_appointment, name="fhir-appointment")


def _base(request: web.Request) -> str:
    configured = request.app[keys.SETTINGS].public_base_url
    return (configured or f"{request.scheme}://{request.host}") + "/fhir"


async def metadata(request: web.Request) -> web.Response:
    return fhir_response(capability_statement(_base(request)))


# -- what is asked for ----------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    service: Service | None
    query: SlotQuery


def _texts(query: MultiMapping[str], allowed: frozenset[str]) -> dict[str, list[str]]:
    """A query string's parameters; one we do not know is refused, not ignored (a filter
    silently dropped would answer another question)."""
    texts: dict[str, list[str]] = {}
    for name, value in query.items():
        if name not in allowed:
            raise InvalidInput("a search parameter this server does not support", field=name)
        texts.setdefault(name, []).append(value)
    return texts


def _single(texts: Mapping[str, list[str]], name: str) -> str | None:
    values = texts.get(name, [])
    if len(values) > 1:
        raise InvalidInput("given more than once", field=name)
    return values[0] if values else None


def _count(texts: Mapping[str, list[str]]) -> int:
    text = _single(texts, "_count")
    if text is None:
        return DEFAULT_COUNT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidInput(f"_count is 1 to {MAX_LIMIT}", field="_count")
    return int(text)


async def _service(request: web.Request, token: str | None) -> Service | None:
    """A `service-type` token ("CODE" or "urn:frontdesk:service|CODE")."""
    if token is None:
        return None
    system, _, code = token.rpartition("|")
    if system and system != SERVICES:
        raise InvalidInput(f"service-type codes are {SERVICES}'s", field="service-type")
    try:
        return await request.app[keys.SERVICES].catalog.service_by_code(code)
    except NotFound:
        raise NotFound("no such service", field="service-type") from None


async def _specialty(request: web.Request, code: str | None) -> int | None:
    if code is None:
        return None
    code = code.rpartition("|")[2]
    for specialty in await request.app[keys.SERVICES].catalog.specialties():
        if specialty.code == code:
            return specialty.id
    raise NotFound("no such specialty", field="specialty")


def _query(
    partner: Channel,
    service: Service | None,
    window: Window,
    count: int,
    *,
    doctor_id: int | None = None,
    branch_id: int | None = None,
    specialty_id: int | None = None,
) -> SlotQuery:
    if window.low and window.high and window.high - window.low > LONGEST_SEARCH:
        raise InvalidInput("search at most a year at once", field="start")
    return SlotQuery(
        channel=partner,
        service_id=service.id if service else None,
        start=window.low,
        end=window.high,
        limit=count,
        doctor_id=doctor_id,
        branch_id=branch_id,
        specialty_id=specialty_id,
    )


async def _slot_criteria(request: web.Request, partner: Channel) -> Criteria:
    texts = _texts(request.query, SLOT_PARAMETERS)
    if any(status != "free" for status in texts.get("status", [])):
        raise InvalidInput("only free slots are listed", field="status")
    doctor: int | None = None
    branch: int | None = None
    if (named := _single(texts, "schedule")) is not None:
        doctor, branch = _schedule_ids(reference_to(named, "Schedule", "schedule"), "schedule")
    for actor in texts.get("schedule.actor", []):
        kind = actor.rpartition("/")[0].rpartition("/")[2]
        if kind == "Location":
            branch = number_id(reference_to(actor, "Location", "schedule.actor"), "schedule.actor")
        else:
            doctor = number_id(
                reference_to(actor, "Practitioner", "schedule.actor"), "schedule.actor"
            )
    service = await _service(request, _single(texts, "service-type"))
    window = Window.of(texts.get("start", []))
    query = _query(partner, service, window, _count(texts), doctor_id=doctor, branch_id=branch)
    return Criteria(service, query)


async def _find_criteria(
    request: web.Request, partner: Channel, texts: Mapping[str, list[str]]
) -> Criteria:
    unknown = set(texts) - FIND_PARAMETERS
    if unknown:
        raise InvalidInput("a parameter $find does not take", field=sorted(unknown)[0])
    start, end = _single(texts, "start"), _single(texts, "end")
    if start is None or end is None:
        raise InvalidInput("start and end are required", field="start" if start is None else "end")
    window = Window(instant(start, "start"), instant(end, "end", end_of_day=True))
    if window.low is not None and window.high is not None and window.high <= window.low:
        raise InvalidInput("end comes before start", field="end")
    service = await _service(request, _single(texts, "service-type"))
    if service is None:
        raise InvalidInput(
            "service-type is required: a visit is of a service", field="service-type"
        )
    practitioner, location = _single(texts, "practitioner"), _single(texts, "location")
    query = _query(
        partner,
        service,
        window,
        _count(texts),
        doctor_id=None
        if practitioner is None
        else number_id(reference_to(practitioner, "Practitioner", "practitioner"), "practitioner"),
        branch_id=None
        if location is None
        else number_id(reference_to(location, "Location", "location"), "location"),
        specialty_id=await _specialty(request, _single(texts, "specialty")),
    )
    return Criteria(service, query)


async def _names(request: web.Request) -> Names:
    catalog = request.app[keys.SERVICES].catalog
    return Names(
        services={s.id: s for s in await catalog.services() if s.id is not None},
        doctors=await catalog.doctor_names(),
        branches={b.id: b for b in await catalog.branches() if b.id is not None},
    )


async def _parameters(request: web.Request) -> Parameters:
    raw = await request.read()  # over the app's body limit: 413
    return Parameters.of(resource_of(raw, request.content_type, "Parameters"))


# -- the catalog, Schedule, Slot, $find ------------------------------------------------


async def services(request: web.Request) -> web.Response:
    """The services a partner may book, with the codes `service-type` takes."""
    await partner_of(request)
    _texts(request.query, frozenset())
    catalog = request.app[keys.SERVICES].catalog
    specialties = {s.id: s for s in await catalog.specialties()}
    listed = [
        healthcare_service(s, specialties.get(s.specialty_id)) for s in await catalog.services()
    ]
    return fhir_response(bundle(listed, _base(request)))


async def read_schedule(request: web.Request) -> web.Response:
    """A doctor at a branch (`<doctor>-<branch>`), as a Slot's `schedule` names it."""
    await partner_of(request)
    doctor_id, branch_id = _schedule_ids(request.match_info["id"], "id")
    catalog = request.app[keys.SERVICES].catalog
    doctors = {d.id: d for d in await catalog.doctors()}
    doctor = doctors.get(doctor_id)
    if doctor is None:
        raise NotFound("no such schedule")
    try:
        branch = await catalog.branch(branch_id)
    except NotFound:
        raise NotFound("no such schedule") from None
    given = await catalog.services_of(doctor_id)
    return fhir_response(schedule(doctor_id, doctor.display_name, branch, given))


def _schedule_ids(text: str, field: str) -> tuple[int, int]:
    pair = text.split("-")
    if len(pair) != 2:
        raise InvalidInput("Schedule/<doctor>-<branch>", field=field)
    return number_id(pair[0], field), number_id(pair[1], field)


async def search_slots(request: web.Request) -> web.Response:
    partner = await partner_of(request)
    criteria = await _slot_criteria(request, partner)
    found = await request.app[keys.SERVICES].search.find(criteria.query)
    slots = [slot(free, criteria.service) for free in found]
    return fhir_response(bundle(slots, _base(request)))


async def find(request: web.Request) -> web.Response:
    """ITI-115: options of a service, earliest first, each an Appointment `proposed`."""
    partner = await partner_of(request)
    if request.method == "POST":
        texts = (await _parameters(request)).texts()
    else:
        texts = _texts(request.query, FIND_PARAMETERS)
    criteria = await _find_criteria(request, partner, texts)
    assert criteria.service is not None
    found = await request.app[keys.SERVICES].search.find(criteria.query)
    names = await _names(request)
    options = [proposed(free, criteria.service, names) for free in found]
    return fhir_response(bundle(options, _base(request)))


# -- $hold, $book, read ---------------------------------------------------------------


def _target(params: Parameters) -> Proposed | Held | Booked:
    """The appointment an operation is about: `appointment-reference`, or the id of the
    `appointment` resource."""
    reference = params.reference("appointment-reference")
    if reference is None:
        resource = params.resource("appointment", "Appointment")
        if resource is None or not isinstance(resource.get("id"), str):
            raise InvalidInput("appointment-reference is required", field="appointment-reference")
        reference = "Appointment/" + resource["id"]
    target = appointment_id(reference_to(reference, "Appointment", "appointment-reference"))
    if target is None:
        raise NotFound("no such appointment", field="appointment-reference")
    return target


async def hold(request: web.Request) -> web.Response:
    """ITI-116: a proposed option kept for the partner (`pending`) until it expires."""
    partner = await partner_of(request)
    target = _target(await _parameters(request))
    if not isinstance(target, Proposed):
        raise InvalidInput("hold an option $find proposed", field="appointment-reference")
    services = request.app[keys.SERVICES]
    service = await services.catalog.service(target.service_id)
    ticket = await services.direct.hold(
        partner, target.service_id, target.doctor_id, target.start_at
    )
    where = ticket.placement
    body = pending(
        ticket.token,
        service,
        where.doctor_id,
        where.branch_id,
        where.start_at,
        where.end_at,
        ticket.expires_at,
        await _names(request),
    )
    return fhir_response(body)


async def book(request: web.Request) -> web.Response:
    """ITI-117: book an option or a hold for a patient; with an `appointment` whose status
    is `cancelled`, cancel a booking (or give a hold back)."""
    partner = await partner_of(request)
    params = await _parameters(request)
    direct = request.app[keys.SERVICES].direct
    resource = params.resource("appointment", "Appointment")
    if resource is not None and resource.get("status") == "cancelled":
        return await _cancel(request, partner, _target(params), resource)
    target = _target(params)
    patient = params.resource("patient", "Patient")
    if patient is None:
        raise InvalidInput("the patient (a Patient resource) is required", field="patient")
    referral = params.text("referral")
    if isinstance(target, Proposed):
        visit = Visit(target.service_id, target.doctor_id, target.start_at, referral=referral)
    elif isinstance(target, Held):
        held = await direct.held(partner, target.token)
        visit = Visit(
            held.service_id, held.doctor_id, held.start_at, target.token, referral=referral
        )
    else:
        raise InvalidInput("book an option or a hold", field="appointment-reference")
    booking = await direct.book(partner, arrival(patient), visit)
    return fhir_response(bundle([booked(booking, await _names(request))], _base(request)))


async def _cancel(
    request: web.Request,
    partner: Channel,
    target: Proposed | Held | Booked,
    resource: Mapping[str, Any],
) -> web.Response:
    direct = request.app[keys.SERVICES].direct
    if isinstance(target, Held):
        held = await direct.held(partner, target.token)
        await direct.release(partner, target.token)
        body = await _pending(request, held)
        body["status"] = "cancelled"
        return fhir_response(bundle([body], _base(request)))
    if not isinstance(target, Booked):
        raise InvalidInput("cancel a booked or held appointment", field="appointment")
    reason = resource.get("cancelationReason")
    text = reason.get("text") if isinstance(reason, dict) else None
    if text is not None and not isinstance(text, str):
        raise InvalidInput("cancelationReason.text is text", field="cancelationReason")
    booking = await direct.cancel(partner, target.booking_id, text or f"cancelled by {partner}")
    return fhir_response(bundle([booked(booking, await _names(request))], _base(request)))


async def _pending(request: web.Request, held: Hold) -> dict[str, Any]:
    service = await request.app[keys.SERVICES].catalog.service(held.service_id)
    return pending(
        held.token,
        service,
        held.doctor_id,
        held.branch_id,
        held.start_at,
        held.end_at,
        held.expires_at,
        await _names(request),
    )


async def read_appointment(request: web.Request) -> web.Response:
    partner = await partner_of(request)
    target = appointment_id(request.match_info["id"])
    direct = request.app[keys.SERVICES].direct
    if isinstance(target, Booked):
        booking = await direct.get(partner, target.booking_id)
        return fhir_response(booked(booking, await _names(request)))
    if isinstance(target, Held):
        return fhir_response(await _pending(request, await direct.held(partner, target.token)))
    raise NotFound("no such appointment (an option is not stored: hold or book it)")
