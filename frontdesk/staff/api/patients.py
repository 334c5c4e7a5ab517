"""`/api/v1/patients`: find and register cards, contacts, the cards in a card's care
(children, adults under care), linking codes, unlinking, the export of all a patient's
data and erasure on request, flagged cards verified or merged. The desk's work: doctors
see patients through their own bookings only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from core.desk.patient_records import PatientRecords
from core.patients.cards import PatientDraft
from core.patients.care import CareCircle
from core.vocab import CareRelation, ContactKind, Sex
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, Output, Page, Paging, paged
from frontdesk.staff.api.openapi import ADMIN, DESK, Api, Call

routes = Api()
TAG = "patients"
LANGUAGES = ("pl", "uk", "ru", "en")


class PatientQuery(Paging):
    name: str | None = Field(default=None, max_length=100, description="Words of the name")
    phone: str | None = Field(default=None, max_length=30, description="Digits of a phone")
    pesel: str | None = Field(default=None, max_length=11, description="The whole PESEL")
    born: date | None = Field(default=None, description="The date of birth")
    flagged: bool | None = Field(default=None, description="Flagged for verification, or not")


class ContactOut(Output):
    id: int
    kind: ContactKind
    value: str
    verified: bool
    priority: int


class PatientOut(Output):
    id: int
    first_name: str
    last_name: str
    birth_date: date | None
    sex: Sex | None
    pesel: str | None
    language: str
    needs_verification: bool
    created_at: datetime


class PatientCard(PatientOut):
    contacts: list[ContactOut]


class PatientList(Page[PatientOut]):
    pass


class NewPatient(Input):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = Field(default=None, ge=date(1900, 1, 1))
    sex: Sex | None = None
    pesel: str | None = Field(default=None, max_length=11)
    language: str = Field(default="pl", pattern="^(pl|uk|ru|en)$")
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)


class InCareOut(Output):
    relation: CareRelation
    patient: PatientOut


class CareOut(BaseModel):
    """Whom the card books for, and who books for it."""

    dependents: list[InCareOut]
    guardians: list[InCareOut]


class NewDependent(Input):
    """A new card in this card's care: a child, or an adult under care."""

    relation: CareRelation = CareRelation.CHILD
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: date | None = Field(default=None, ge=date(1900, 1, 1))
    sex: Sex | None = None
    pesel: str | None = Field(default=None, max_length=11)


class ExistingDependent(Input):
    """An existing card put in this card's care."""

    relation: CareRelation
    patient_id: Id


class NewContact(Input):
    kind: ContactKind
    value: str = Field(min_length=1, max_length=200)


class MergeInto(Input):
    into: int = Field(gt=0, lt=2**31, description="The card that is kept")


class LinkingCode(BaseModel):
    code: str = Field(description="9 digits: the patient sends it to the bot to link a chat")
    expires_at: datetime


class PatientExport(BaseModel):
    """Everything held about the patient, table by table."""

    patient: dict[str, Any]
    contacts: list[dict[str, Any]]
    care: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    booking_history: list[dict[str, Any]]
    waiting_list: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    escalation_messages: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    document_consents: list[dict[str, Any]]
    document_access_log: list[dict[str, Any]]


def records(request: web.Request) -> PatientRecords:
    return request.app[keys.SERVICES].records


async def _card(request: web.Request, patient_id: int) -> PatientCard:
    patients = request.app[keys.SERVICES].patients
    patient = await patients.get(patient_id)
    contacts = await patients.contacts(patient_id)
    return PatientCard(
        **PatientOut.model_validate(patient).model_dump(),
        contacts=[ContactOut.model_validate(c) for c in contacts],
    )


@routes.route(
    "GET",
    "/patients",
    summary="Find patients' cards",
    tag=TAG,
    roles=DESK,
    query=PatientQuery,
    response=PatientList,
)
async def find_patients(call: Call) -> PatientList:
    q = call.query_as(PatientQuery)
    found = await records(call.request).find(
        name=q.name,
        phone=q.phone,
        pesel=q.pesel,
        born=q.born,
        flagged=q.flagged,
        limit=q.limit,
        offset=q.offset,
    )
    return paged(PatientList, found.patients, q, has_more=found.has_more)


@routes.route(
    "POST",
    "/patients",
    summary="Register a patient",
    tag=TAG,
    roles=DESK,
    body=NewPatient,
    response=PatientCard,
    status=201,
)
async def register_patient(call: Call) -> PatientCard:
    b = call.body_as(NewPatient)
    contacts = {ContactKind.PHONE: b.phone, ContactKind.EMAIL: b.email}
    patient = await call.request.app[keys.SERVICES].patients.register(
        PatientDraft(
            first_name=b.first_name,
            last_name=b.last_name,
            birth_date=b.birth_date,
            sex=b.sex,
            pesel=b.pesel,
            language=b.language,
            contacts={k: v for k, v in contacts.items() if v},
        )
    )
    assert patient.id is not None
    return await _card(call.request, patient.id)


@routes.route(
    "GET",
    "/patients/{patient_id}",
    summary="A patient's card with contacts",
    tag=TAG,
    roles=DESK,
    response=PatientCard,
)
async def get_patient(call: Call) -> PatientCard:
    return await _card(call.request, call.ids["patient_id"])


@routes.route(
    "POST",
    "/patients/{patient_id}/contacts",
    summary="Add a contact",
    tag=TAG,
    roles=DESK,
    body=NewContact,
    response=PatientCard,
    status=201,
)
async def add_contact(call: Call) -> PatientCard:
    b = call.body_as(NewContact)
    patient_id = call.ids["patient_id"]
    await call.request.app[keys.SERVICES].patients.add_contact(patient_id, b.kind, b.value)
    return await _card(call.request, patient_id)


def _care(circle: CareCircle) -> CareOut:
    def side(found: list[Any]) -> list[InCareOut]:
        return [
            InCareOut(relation=c.relation, patient=PatientOut.model_validate(c.patient))
            for c in found
        ]

    return CareOut(dependents=side(circle.dependents), guardians=side(circle.guardians))


@routes.route(
    "GET",
    "/patients/{patient_id}/care",
    summary="The cards in this card's care, and its guardians",
    tag=TAG,
    roles=DESK,
    response=CareOut,
)
async def get_care(call: Call) -> CareOut:
    return _care(await call.request.app[keys.SERVICES].care.care_of(call.ids["patient_id"]))


@routes.route(
    "POST",
    "/patients/{patient_id}/dependents",
    summary="Register a card in this card's care (a child, an adult under care)",
    tag=TAG,
    roles=DESK,
    body=NewDependent,
    response=CareOut,
    status=201,
)
async def add_dependent(call: Call) -> CareOut:
    b = call.body_as(NewDependent)
    services = call.request.app[keys.SERVICES]
    guardian_id = call.ids["patient_id"]
    guardian = await services.patients.get(guardian_id)
    await services.patients.register(
        PatientDraft(
            first_name=b.first_name,
            last_name=b.last_name,
            birth_date=b.birth_date,
            sex=b.sex,
            pesel=b.pesel,
            language=guardian.language,
        ),
        in_care_of=(guardian_id, b.relation),
    )
    return _care(await services.care.care_of(guardian_id))


@routes.route(
    "POST",
    "/patients/{patient_id}/dependents/existing",
    summary="Put an existing card in this card's care",
    tag=TAG,
    roles=DESK,
    body=ExistingDependent,
    response=CareOut,
    status=201,
)
async def link_dependent(call: Call) -> CareOut:
    b = call.body_as(ExistingDependent)
    care = call.request.app[keys.SERVICES].care
    guardian_id = call.ids["patient_id"]
    await care.link(guardian_id, b.patient_id, b.relation)
    return _care(await care.care_of(guardian_id))


@routes.route(
    "DELETE",
    "/patients/{patient_id}/contacts/{contact_id}",
    summary="Remove a contact (unlink a chat)",
    tag=TAG,
    roles=DESK,
    response=None,
)
async def remove_contact(call: Call) -> None:
    await records(call.request).remove_contact(call.ids["patient_id"], call.ids["contact_id"])


@routes.route(
    "POST",
    "/patients/{patient_id}/linking-code",
    summary="A new 9-digit linking code",
    tag=TAG,
    roles=DESK,
    response=LinkingCode,
    status=201,
)
async def issue_linking_code(call: Call) -> LinkingCode:
    issued = await call.request.app[keys.SERVICES].linking.issue(call.ids["patient_id"])
    return LinkingCode(code=issued.code, expires_at=issued.expires_at)


@routes.route(
    "GET",
    "/patients/{patient_id}/export",
    summary="All the patient's data, as JSON",
    tag=TAG,
    roles=DESK,
    response=PatientExport,
)
async def export_patient(call: Call) -> PatientExport:
    return PatientExport.model_validate(await records(call.request).export(call.ids["patient_id"]))


@routes.route(
    "POST",
    "/patients/{patient_id}/erase",
    summary="Erase the patient's data on request",
    tag=TAG,
    roles=ADMIN,
    response=None,
)
async def erase_patient(call: Call) -> None:
    await records(call.request).erase(call.scope.actor, call.ids["patient_id"])


@routes.route(
    "POST",
    "/patients/{patient_id}/verify",
    summary="Mark a flagged card as verified",
    tag=TAG,
    roles=DESK,
    response=PatientCard,
)
async def verify_patient(call: Call) -> PatientCard:
    patient_id = call.ids["patient_id"]
    await call.request.app[keys.SERVICES].card_review.verify(patient_id)
    return await _card(call.request, patient_id)


@routes.route(
    "POST",
    "/patients/{patient_id}/merge",
    summary="Merge this card into another; everything moves to the kept card",
    tag=TAG,
    roles=DESK,
    body=MergeInto,
    response=PatientCard,
)
async def merge_patient(call: Call) -> PatientCard:
    b = call.body_as(MergeInto)
    result = await call.request.app[keys.SERVICES].card_review.merge(
        call.scope.actor, call.ids["patient_id"], b.into
    )
    return await _card(call.request, result.kept_id)
