"""A card's documents at the desk (`/staff/patients/{id}/documents`): the documents in the
member's reach with the file to open (each opening logged), a PDF uploaded with its
type, date, author and visit or branch, the consent register with paper consents
recorded under the member's name and revoked, and the access log. The card page links
here; this page is the documents' own."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from aiohttp import web

from core.clinic.names import local_name
from core.documents.service import NewDocument
from core.errors import InvalidInput
from core.vocab import DocumentKind, GranteeKind, GrantSource, StaffRole
from edge.errors import allow_body
from edge.responses import PRIVATE_HEADERS as PRIVATE
from frontdesk import keys
from frontdesk.staff import auth as staff_auth
from frontdesk.staff.dashboard import forms
from frontdesk.staff.dashboard.access import Member, member_of
from frontdesk.staff.dashboard.render import language_of, page

DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
UPLOAD_BODY_BYTES = 16 * 1024 * 1024  # a 10 MB PDF and a 2 MB structured form, in a form


def _base(patient_id: int) -> str:
    return f"/staff/patients/{patient_id}/documents"


async def documents_page(request: web.Request) -> web.Response:
    member = await member_of(request)
    return await _page(request, member, forms.path_id(request.match_info["id"]))


async def _page(
    request: web.Request,
    member: Member,
    patient_id: int,
    *,
    refused: InvalidInput | None = None,
) -> web.Response:
    """The page; after a refused upload, again with what was wrong above the form."""
    services = request.app[keys.SERVICES]
    patient = await services.patients.get(patient_id)
    found = await services.documents.of_patient(patient_id, member.scope.reach)
    desk = member.scope.role is not StaffRole.DOCTOR
    branches = await services.catalog.branches()
    return page(
        request,
        "documents.html",
        status=400 if refused else 200,
        refused=refused,
        member=member,
        patient=patient,
        documents=found,
        desk=desk,
        consents=await services.consents.of_patient(patient_id) if desk else [],
        log=await services.documents.access_log(patient_id) if desk else [],
        branches={b.id: local_name(b, language_of(request)) for b in branches},
        own_branches=[
            b
            for b in branches
            if member.scope.branch_ids is None or b.id in member.scope.branch_ids
        ],
        zone=branches[0].timezone if branches else "Europe/Warsaw",
        kinds=list(DocumentKind),
        grantee_kinds=list(GranteeKind),
        now=services.clock.now(),
        base=_base(patient_id),
        sent=forms.optional_id(request.query, "sent"),
    )


async def upload(request: web.Request) -> web.Response:
    """`POST .../documents` (multipart: file, structured, kind, issued_on, author, booking_id
    or branch_id)."""
    member = await member_of(request, *DESK)
    patient_id = forms.path_id(request.match_info["id"])
    try:
        await _add(request, member, patient_id, await request.post())
    except InvalidInput as refused:  # a bad file or field: said above the form
        return await _page(request, member, patient_id, refused=refused)
    raise web.HTTPSeeOther(_base(patient_id))


async def _add(
    request: web.Request,
    member: Member,
    patient_id: int,
    posted: Mapping[str, object],
) -> None:
    files = {k: v for k, v in posted.items() if isinstance(v, web.FileField)}
    content, name = _read(files.get("file"))
    structured, _ = _read(files.get("structured"))
    if content is None:
        raise InvalidInput("choose a PDF file", field="file", reason="file_empty")
    values = {k: v for k, v in posted.items() if isinstance(v, str)}
    issued = forms.optional_date(values, "issued_on")
    if issued is None:
        raise InvalidInput("the date is required", field="issued_on")
    await request.app[keys.SERVICES].documents.add(
        member.scope.actor,
        NewDocument(
            patient_id=patient_id,
            kind=forms.required_choice(values, "kind", DocumentKind),
            name=name,
            issued_on=issued,
            author=forms.text(values, "author", 200),
            content=content,
            structured=structured,
            booking_id=forms.optional_id(values, "booking_id"),
            branch_id=forms.optional_id(values, "branch_id"),
        ),
    )


allow_body(upload, UPLOAD_BODY_BYTES)


def _read(field: web.FileField | None) -> tuple[bytes | None, str]:
    """A posted file's bytes (None when none was chosen) and name; its spool closed."""
    if field is None:
        return None, ""
    with field.file:
        content = field.file.read()
    return (content if field.filename else None), field.filename or ""


async def open_file(request: web.Request) -> web.StreamResponse:
    """`GET /staff/documents/{id}/file[?structured=1]`: the file, for a member whose reach
    holds it (a session or a full token; a laboratory's token reads nothing), logged."""
    scope = await staff_auth.require(request)
    structured = request.query.get("structured") == "1"
    opened = await request.app[keys.SERVICES].documents.open_as_staff(
        scope.actor, forms.path_id(request.match_info["id"]), structured=structured
    )
    name, mime = (
        ("document.xml", "application/xml") if structured else ("document.pdf", "application/pdf")
    )
    return web.Response(
        body=opened.content,
        content_type=mime,
        headers={**PRIVATE, "Content-Disposition": f'inline; filename="{name}"'},
    )


async def send_link(request: web.Request) -> web.Response:
    """`POST /staff/documents/{id}/send-link`: a link to the document by SMS to the card's
    phone, for a patient without a messenger."""
    member = await member_of(request, *DESK)
    services = request.app[keys.SERVICES]
    document = await services.documents.get(
        forms.path_id(request.match_info["id"]), member.scope.reach
    )
    base = request.app[keys.SETTINGS].public_base_url
    if base is None:
        raise InvalidInput("PUBLIC_BASE_URL is not set", reason="no_public_url")
    assert document.id is not None
    await services.document_links.send_by_sms(document.patient_id, document.id, base)
    raise web.HTTPSeeOther(
        _base(document.patient_id) + f"?sent={document.id}#document-{document.id}"
    )


async def record_consent(request: web.Request) -> web.Response:
    """`POST .../consents` (grantee_kind, phone, name, valid_from, valid_until: dates, the
    window running from the first day's start to the end of the last, branch time)."""
    member = await member_of(request, *DESK)
    patient_id = forms.path_id(request.match_info["id"])
    values = await forms.posted(request)
    services = request.app[keys.SERVICES]
    branches = await services.catalog.branches()
    zone = ZoneInfo(branches[0].timezone if branches else "Europe/Warsaw")
    first, last = (
        forms.optional_date(values, "valid_from"),
        forms.optional_date(values, "valid_until"),
    )
    if first is None or last is None:
        raise InvalidInput("both dates are required", field="valid_from")
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last, time(23, 59, 59), zone).astimezone(UTC)
    await services.consents.grant(
        patient_id,
        forms.required_choice(values, "grantee_kind", GranteeKind),
        forms.text(values, "phone", 30),
        start,
        end,
        source=GrantSource.PAPER,
        name=forms.text(values, "name", 100) or None,
        recorded_by=member.scope.login,
    )
    raise web.HTTPSeeOther(_base(patient_id) + "#consents")


async def revoke_consent(request: web.Request) -> web.Response:
    member = await member_of(request, *DESK)
    patient_id = forms.path_id(request.match_info["id"])
    await request.app[keys.SERVICES].consents.revoke(
        patient_id, forms.path_id(request.match_info["grant"]), by=member.scope.login
    )
    raise web.HTTPSeeOther(_base(patient_id) + "#consents")


def setup(router: web.UrlDispatcher, id_pattern: str) -> None:
    base = f"/staff/patients/{id_pattern}/documents"
    router.add_get(base, documents_page, name="staff-documents")
    router.add_post(base, upload, name="staff-documents-upload")
    router.add_get(f"/staff/documents/{id_pattern}/file", open_file, name="staff-document-file")
    router.add_post(
        f"/staff/documents/{id_pattern}/send-link", send_link, name="staff-document-send-link"
    )
    router.add_post(f"/staff/patients/{id_pattern}/consents", record_consent, name="staff-consent")
    router.add_post(
        f"/staff/patients/{id_pattern}/consents/{{grant:\\d{{1,10}}}}/revoke",
        revoke_consent,
        name="staff-consent-revoke",
    )
