"""Patients' cards at the desk: finding one, the card itself (identity, contacts, visits,
messages, chats), a 9-digit linking code handed over once or sent to the card's phone,
and cards flagged for verification verified or merged into the patient's own card.

The desk's work (registrars and admins); a doctor sees patients through their visits.
"""

from __future__ import annotations

from aiohttp import web
from babel.dates import format_date

from core.desk.bookings import DESK
from core.vocab import ContactKind
from frontdesk import keys
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import member_of
from frontdesk.staff.dashboard.desk import Desk
from frontdesk.staff.dashboard.patient_lookup import look_up
from frontdesk.staff.dashboard.render import language_of, page

DELIVERIES = ("show", "sms")


async def patients(request: web.Request) -> web.Response:
    """`GET /staff/patients?q=&flagged=1`: cards found, or the cards to verify."""
    member = await member_of(request, *DESK)
    search = forms.text(request.query, "q", 100)
    flagged = request.query.get("flagged") == "1"
    found = await look_up(request.app[keys.SERVICES].records, search, flagged=flagged)
    return page(
        request,
        "patients.html",
        member=member,
        search=search,
        flagged=flagged,
        found=found if search or flagged else None,
    )


async def card(request: web.Request) -> web.Response:
    """`GET /staff/patients/{id}`."""
    member = await member_of(request, *DESK)
    patient_id = forms.path_id(request.match_info["id"])
    desk = Desk.of(request)
    view = await request.app[keys.SERVICES].patient_cards.card(
        member.scope, patient_id, desk.clock.now(), language_of(request)
    )
    return page(
        request,
        "patient.html",
        member=member,
        card=view,
        zone=await desk.zone(),
        has_phone=any(c.kind is ContactKind.PHONE for c in view.contacts),
        link_services=await request.app[keys.SERVICES].catalog.services(),
        no_shows=await request.app[keys.SERVICES].no_shows.of_patient(patient_id),
        care=await request.app[keys.SERVICES].care.care_of(patient_id),
        born=lambda day: format_date(day, "long", locale=language_of(request)),
    )


async def issue_code(request: web.Request) -> web.Response:
    """`POST /staff/patients/{id}/code` (deliver=show|sms): a fresh code, older ones void.
    Shown on this response only (never stored readable), or sent by SMS to the card's
    phones, the preferred first."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    patient_id = forms.path_id(request.match_info["id"])
    deliver = values.get("deliver", "show")
    if deliver not in DELIVERIES:
        deliver = "show"
    services = request.app[keys.SERVICES]
    patient = await services.patients.get(patient_id)
    issued = await services.linking.issue(patient_id)
    sent = None
    if deliver == "sms":
        phones = [c for c in issued.contacts if c.kind is ContactKind.PHONE]
        sent = await services.courier.deliver_code(
            type(issued)(issued.patient_id, issued.code, issued.expires_at, phones),
            patient.language,
        )
    return page(
        request,
        "patient_code.html",
        member=member,
        patient=patient,
        code=issued.code if deliver == "show" else None,
        sent=sent,
        expires_at=issued.expires_at,
        zone=await Desk.of(request).zone(),
    )


async def code_page(request: web.Request) -> web.Response:
    """`GET /staff/patients/{id}/code` (a reload, a language changed): a code is never
    shown twice, so back to the card."""
    await member_of(request, *DESK)
    raise web.HTTPSeeOther(f"/staff/patients/{forms.path_id(request.match_info['id'])}")


async def verify(request: web.Request) -> web.Response:
    """`POST /staff/patients/{id}/verify`: the card was checked against the person."""
    await member_of(request, *DESK)
    patient_id = forms.path_id(request.match_info["id"])
    await request.app[keys.SERVICES].card_review.verify(patient_id)
    raise web.HTTPSeeOther(f"/staff/patients/{patient_id}")


async def merge_choices(request: web.Request) -> web.Response:
    """`GET /staff/patients/{id}/merge?q=&into=`: the card to keep, found, then confirmed."""
    member = await member_of(request, *DESK)
    services = request.app[keys.SERVICES]
    patient_id = forms.path_id(request.match_info["id"])
    patient = await services.patients.get(patient_id)
    search = forms.text(request.query, "q", 100)
    into_id = forms.optional_id(request.query, "into")
    found = await look_up(services.records, search) if search else None
    return page(
        request,
        "patient_merge.html",
        member=member,
        patient=patient,
        search=search,
        found=found,
        into=None if into_id is None else await services.patients.get(into_id),
    )


async def merge(request: web.Request) -> web.Response:
    """`POST /staff/patients/{id}/merge` (into): everything moves to the kept card."""
    member = await member_of(request, *DESK)
    values = await forms.posted(request)
    patient_id = forms.path_id(request.match_info["id"])
    into_id = forms.required_id(values, "into")
    await request.app[keys.SERVICES].card_review.merge(member.scope.actor, patient_id, into_id)
    raise web.HTTPSeeOther(f"/staff/patients/{into_id}")
