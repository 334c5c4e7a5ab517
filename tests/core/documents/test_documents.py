"""Documents on a card: what an upload must be, nothing half-stored, the "result ready"
message, who sees what, retention, erasure, and a log the database keeps append-only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col

from core.actors import Actor, Reach
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService
from core.booking.waitlist_offers import WaitlistPolicy
from core.desk.patient_records import PatientRecords
from core.errors import Forbidden, InvalidInput, NotFound
from core.messaging.reminder_rules import ReminderRules, install_defaults
from core.models import Document, DocumentAccess, DocumentGrant, Notification, ReminderRule
from core.vocab import Channel, DocumentKind, GranteeKind, GrantSource
from testkit.documents import ADMIN, CDA, MARKERS, PDF, desk, lab_result
from testkit.factories import adult, count_rows, small_clinic, warsaw_at


@pytest.fixture
async def clinic(db, clock):
    return await small_clinic(db, clock, days=3)


@pytest.fixture
async def patient(db, clock, clinic) -> int:
    return await adult(db, clock, 1)


async def test_a_pdf_is_stored_with_its_structured_form_kept_as_it_came(db, clock, clinic, patient):
    d = desk(db, clock)
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id, structured=CDA))
    assert d.store.objects[document.file_key] == PDF
    assert document.structured_key is not None
    assert d.store.objects[document.structured_key] == CDA
    assert document.title.endswith(".pdf")
    assert document.added_by == "admin"
    opened = await d.documents.open_as_staff(ADMIN, document.id, structured=True)
    assert opened.content == CDA


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"content": b"MZ\x90\x00 an executable named like a PDF"}, "file_not_pdf"),
        ({"content": b"GIF89a" + PDF}, "file_not_pdf"),
        ({"content": b"just text, no magic"}, "file_not_pdf"),
        ({"content": b""}, "file_empty"),
        ({"content": PDF + b"0" * (10 * 1024 * 1024)}, "file_too_large"),
        ({"name": "../../etc/passwd.pdf"}, "file_name"),
        ({"name": "wynik\u202efdp.exe"}, "file_name"),
        ({"name": "wynik\x00.pdf"}, "file_name"),
        ({"name": ".ukryty.pdf"}, "file_name"),
        ({"name": "wynik.exe"}, "file_name"),
        ({"name": "C:\\wynik.pdf"}, "file_name"),
        ({"name": "x" * 300 + ".pdf"}, "file_name"),
        ({"structured": b"<a><b></a>"}, "structured_not_xml"),
        (
            {"structured": b'<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'},
            "structured_not_xml",
        ),
    ],
)
async def test_a_bad_file_is_refused_and_nothing_is_stored(
    db, clock, clinic, patient, changes, reason
):
    d = desk(db, clock)
    with pytest.raises(InvalidInput) as refused:
        await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id, **changes))
    assert refused.value.details["reason"] == reason
    for marker in MARKERS:
        assert marker not in refused.value.message
    assert d.store.objects == {}
    assert await count_rows(db, Document) == 0


async def test_a_storage_failure_mid_upload_leaves_no_record_and_no_file(
    db, clock, clinic, patient
):
    d = desk(db, clock)
    d.store.fail_puts_after = 1  # the PDF goes in, its structured form fails
    with pytest.raises(Exception, match="unreachable"):
        await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id, structured=CDA))
    assert d.store.objects == {}
    assert await count_rows(db, Document) == 0


async def test_a_database_failure_after_the_files_removes_them(db, clock, clinic, patient):
    d = desk(db, clock)
    real_insert = d.documents._insert

    async def failing(*args, **kwargs):
        await real_insert(*args, **kwargs)
        raise IntegrityError("insert", {}, Exception("constraint"))

    d.documents._insert = failing
    with pytest.raises(IntegrityError):
        await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id, structured=CDA))
    assert d.store.objects == {}
    assert await count_rows(db, Document) == 0


async def test_a_result_tells_the_patient_without_naming_it(db, clock, clinic, patient):
    d = desk(db, clock)
    await install_defaults(ReminderRules(db, clock))
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id, kind=DocumentKind.REFERRAL))
    assert await count_rows(db, Notification, col(Notification.patient_id) == patient) == 1
    async with db.read() as session:
        rule = (
            (
                await session.execute(
                    select(ReminderRule).where(col(ReminderRule.event).is_not(None))
                )
            )
            .scalars()
            .first()
        )
    assert rule is not None
    for wording in rule.templates.values():
        for marker in (*MARKERS, "HIV", "Morfologia", document.title):
            assert marker not in wording


async def test_staff_see_documents_of_their_branches_and_doctors_of_their_visits(
    db, clock, clinic, patient
):
    d = desk(db, clock)
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    other_branch = Reach(branch_ids=frozenset({clinic.branch.id + 100}))
    own_branch = Reach(branch_ids=frozenset({clinic.branch.id}))
    doctor = Reach(doctor_ids=frozenset({clinic.internist.id}))
    assert [x.id for x in await d.documents.of_patient(patient, own_branch)] == [document.id]
    assert await d.documents.of_patient(patient, other_branch) == []
    assert await d.documents.of_patient(patient, doctor) == []  # on no visit of theirs
    with pytest.raises(NotFound):
        await d.documents.open_as_staff(Actor.staff("reg2", other_branch), document.id)
    with pytest.raises(NotFound):
        await d.documents.open_as_staff(Actor.staff("doc", doctor), document.id)
    with pytest.raises(Forbidden):  # nor may they add to a branch not theirs
        await d.documents.add(
            Actor.staff("reg2", other_branch), lab_result(patient, clinic.branch.id)
        )


async def test_a_doctor_sees_the_documents_of_their_own_visit(db, clock, clinic, patient):
    d = desk(db, clock)
    booking = BookingService(db, clock, hold_ttl=timedelta(minutes=5), waitlist=WaitlistPolicy())
    visit = await booking.book(
        Actor.staff("desk"),
        VisitRequest(patient, clinic.consult.id, clinic.internist.id, warsaw_at(clock, 1, 9)),
    )
    document = await d.documents.add(ADMIN, lab_result(patient, None, booking_id=visit.id))
    mine = Actor.staff("doc", Reach(doctor_ids=frozenset({clinic.internist.id})))
    theirs = Actor.staff("doc2", Reach(doctor_ids=frozenset({clinic.paediatrician.id})))
    assert (await d.documents.open_as_staff(mine, document.id)).content == PDF
    with pytest.raises(NotFound):
        await d.documents.open_as_staff(theirs, document.id)


async def test_the_access_log_cannot_be_edited_nor_emptied(db, clock, clinic, patient):
    d = desk(db, clock)
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    await d.documents.open_as_staff(ADMIN, document.id)
    assert await count_rows(db, DocumentAccess) == 1
    for statement in (
        update(DocumentAccess).values(opened_by="nobody"),
        delete(DocumentAccess),
        text("DELETE FROM document_access"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(statement)
    async with db.read() as session:
        row = (await session.execute(select(DocumentAccess))).scalar_one()
    assert row.opened_by == "admin"
    assert row.channel is Channel.STAFF


async def test_retention_removes_expired_documents_and_their_files(db, clock, clinic, patient):
    d = desk(db, clock)
    old = await d.documents.add(
        ADMIN, lab_result(patient, clinic.branch.id, issued_on=date(2020, 1, 1))
    )
    kept = await d.documents.add(
        ADMIN,
        lab_result(patient, clinic.branch.id, kind=DocumentKind.OTHER, issued_on=date(2020, 1, 1)),
    )
    await d.documents.set_retention(DocumentKind.LAB_RESULT, 365)
    assert await d.documents.purge_expired() == 1
    assert [x.id for x in await d.documents.of_patient(patient)] == [kept.id]
    assert old.file_key not in d.store.objects
    assert kept.file_key in d.store.objects
    await d.documents.set_retention(DocumentKind.LAB_RESULT, None)
    assert await d.documents.retention() == {}


async def test_erasing_a_patient_removes_documents_files_and_consents_not_the_log(
    db, clock, clinic, patient
):
    d = desk(db, clock)
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    now = clock.now()
    await d.consents.grant(
        patient,
        GranteeKind.FAMILY,
        "+48 600 100 200",
        now,
        now + timedelta(days=2),
        source=GrantSource.BOT,
    )
    link = await d.links.for_patient(patient, document.id, Channel.TELEGRAM)
    await d.links.open(link.token, birth_date=date(1980, 5, 1))
    booking = BookingService(db, clock, hold_ttl=timedelta(minutes=5), waitlist=WaitlistPolicy())
    records = PatientRecords(
        db, clock, booking, WaitlistService(db, clock, WaitlistPolicy()), d.documents
    )
    exported = await records.export(patient)
    assert [x["id"] for x in exported["documents"]] == [document.id]
    assert "file_key" not in exported["documents"][0]
    assert len(exported["document_consents"]) == 1
    assert exported["document_access_log"][0]["channel"] == "telegram"
    await records.erase(ADMIN, patient)
    assert d.store.objects == {}
    assert await count_rows(db, Document) == 0
    assert await count_rows(db, DocumentGrant) == 0
    assert await count_rows(db, DocumentAccess) == 1
