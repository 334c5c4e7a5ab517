"""Opening a document by link: the access matrix (the patient; a grantee before, inside
and after the window; a revoked one; another patient), forged, expired and replayed
links, and the second check throttled with only failures counting."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.errors import AuthenticationFailed, Forbidden, NotFound, Throttled
from core.models import DocumentAccess
from core.vocab import Channel, GranteeKind, GrantSource, OpenerKind
from testkit.documents import ADMIN, PDF, desk, lab_result
from testkit.factories import adult, small_clinic

BIRTH = date(1980, 5, 1)  # adult(n=1)
DELEGATE = "+48 600 100 200"


@pytest.fixture
async def setup(db, clock):
    clinic = await small_clinic(db, clock, days=1)
    patient = await adult(db, clock, 1)
    other = await adult(db, clock, 2)
    d = desk(db, clock)
    document = await d.documents.add(ADMIN, lab_result(patient, clinic.branch.id))
    others = await d.documents.add(ADMIN, lab_result(other, clinic.branch.id))
    return d, patient, other, document.id, others.id


async def _log(db):
    async with db.read() as session:
        return list((await session.execute(select(DocumentAccess))).scalars())


async def test_the_patient_opens_their_document_once_after_the_birth_date(db, clock, setup):
    d, patient, _, document, _ = setup
    link = await d.links.for_patient(patient, document, Channel.WHATSAPP)
    view = await d.links.look(link.token)
    assert view.birth_date_check
    opened = await d.links.open(link.token, birth_date=BIRTH)
    assert opened.content == PDF
    [row] = await _log(db)
    assert (row.opener, row.opened_by, row.channel, row.grant_id) == (
        OpenerKind.PATIENT,
        str(patient),
        Channel.WHATSAPP,
        None,
    )
    with pytest.raises(NotFound):  # replayed
        await d.links.open(link.token, birth_date=BIRTH)
    with pytest.raises(NotFound):
        await d.links.look(link.token)


async def test_the_patient_may_check_with_a_code_sent_to_the_cards_phone(db, clock, setup):
    d, patient, _, document, _ = setup
    link = await d.links.for_patient(patient, document, Channel.TELEGRAM)
    await d.links.send_code(link.token)
    phone, code, _ = d.codes.sent[-1]
    assert phone == "+48501000001"
    with pytest.raises(AuthenticationFailed):
        await d.links.open(link.token, code="000000" if code != "000000" else "111111")
    assert (await d.links.open(link.token, code=code)).content == PDF


async def test_another_patients_document_cannot_be_linked(db, clock, setup):
    d, patient, _, _, others = setup
    with pytest.raises(NotFound):
        await d.links.for_patient(patient, others, Channel.TELEGRAM)


def _other_nonce(token: str) -> str:
    link, nonce, mac = token.split(".")
    return f"{link}.{'y' if nonce[0] == 'x' else 'x'}{nonce[1:]}.{mac}"


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
        lambda t: "9" + t,  # another link's id
        _other_nonce,
        lambda t: "../../etc/passwd",
        lambda t: "",
        lambda t: t + "." + t,
    ],
)
async def test_forged_links_open_nothing(db, clock, setup, forge):
    d, patient, _, document, _ = setup
    link = await d.links.for_patient(patient, document, Channel.TELEGRAM)
    with pytest.raises(NotFound):
        await d.links.open(forge(link.token), birth_date=BIRTH)
    assert await _log(db) == []


async def test_an_expired_link_opens_nothing(db, clock, setup):
    d, patient, _, document, _ = setup
    link = await d.links.for_patient(patient, document, Channel.TELEGRAM)
    clock.advance(d.links.policy.ttl)
    with pytest.raises(NotFound):
        await d.links.open(link.token, birth_date=BIRTH)


async def test_wrong_answers_are_throttled_and_right_ones_do_not_count(db, clock, setup):
    d, patient, _, document, _ = setup
    allowed = d.links.policy.checks_per_link.attempts
    for _ in range(allowed - 1):
        link = await d.links.for_patient(patient, document, Channel.TELEGRAM)
        await d.links.open(link.token, birth_date=BIRTH)  # successes give their attempt back
    link = await d.links.for_patient(patient, document, Channel.TELEGRAM)
    results = await asyncio.gather(
        *(d.links.open(link.token, birth_date=date(1999, 1, 1)) for _ in range(allowed + 3)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, AuthenticationFailed) for r in results) == allowed
    assert sum(isinstance(r, Throttled) for r in results) == 3
    with pytest.raises(Throttled):  # even the right answer, until the window passes
        await d.links.open(link.token, birth_date=BIRTH)
    clock.advance(d.links.policy.checks_per_link.window)
    assert (await d.links.open(link.token, birth_date=BIRTH)).content == PDF


async def _grant(d, patient, clock, start: timedelta, end: timedelta):
    now = clock.now()
    return await d.consents.grant(
        patient,
        GranteeKind.FAMILY,
        DELEGATE,
        now + start,
        now + end,
        source=GrantSource.BOT,
        name="Córka",
    )


async def _grantee_opens(d, grant_id, document):
    link = await d.links.for_grantee(grant_id, document, Channel.WHATSAPP)
    view = await d.links.look(link.token)
    assert not view.birth_date_check  # a grantee is checked by a code to their phone
    await d.links.send_code(link.token)
    assert d.codes.sent[-1][0] == "+48600100200"
    return await d.links.open(link.token, code=d.codes.last_code)


async def test_a_grantee_inside_the_window_opens_and_the_log_names_the_consent(db, clock, setup):
    d, patient, _, document, _ = setup
    grant = await _grant(d, patient, clock, timedelta(0), timedelta(days=7))
    assert (await _grantee_opens(d, grant.id, document)).content == PDF
    [row] = await _log(db)
    assert (row.opener, row.grant_id, row.opened_by) == (
        OpenerKind.GRANTEE,
        grant.id,
        str(grant.id),
    )


async def test_a_grantee_before_the_window_is_refused(db, clock, setup):
    d, patient, _, document, _ = setup
    grant = await _grant(d, patient, clock, timedelta(days=1), timedelta(days=7))
    with pytest.raises(Forbidden):
        await _grantee_opens(d, grant.id, document)


async def test_a_grantee_after_the_window_is_refused_at_once(db, clock, setup):
    d, patient, _, document, _ = setup
    grant = await _grant(d, patient, clock, timedelta(0), timedelta(minutes=10))
    link = await d.links.for_grantee(grant.id, document, Channel.WHATSAPP)
    await d.links.send_code(link.token)
    clock.advance(timedelta(minutes=10))  # the link is still live, the consent is not
    with pytest.raises(Forbidden):
        await d.links.open(link.token, code=d.codes.last_code)
    assert await _log(db) == []
    with pytest.raises(Forbidden):
        await d.links.for_grantee(grant.id, document, Channel.WHATSAPP)


async def test_a_revoked_grantee_is_refused_at_once(db, clock, setup):
    d, patient, _, document, _ = setup
    grant = await _grant(d, patient, clock, timedelta(0), timedelta(days=7))
    link = await d.links.for_grantee(grant.id, document, Channel.WHATSAPP)
    await d.links.send_code(link.token)
    await d.consents.revoke(patient, grant.id, by=f"patient:{patient}")
    with pytest.raises(Forbidden):
        await d.links.open(link.token, code=d.codes.last_code)
    assert await _log(db) == []


async def test_a_grantee_gets_no_link_to_another_patients_document(db, clock, setup):
    d, patient, _, _, others = setup
    grant = await _grant(d, patient, clock, timedelta(0), timedelta(days=7))
    with pytest.raises(NotFound):
        await d.links.for_grantee(grant.id, others, Channel.WHATSAPP)


async def test_another_patient_cannot_revoke_a_consent(db, clock, setup):
    d, patient, other, _, _ = setup
    grant = await _grant(d, patient, clock, timedelta(0), timedelta(days=7))
    with pytest.raises(NotFound):
        await d.consents.revoke(other, grant.id, by="x")
    assert [g.id for g in await d.consents.of_patient(patient, current_only=True)] == [grant.id]


async def test_a_paper_consent_names_who_recorded_it(db, clock, setup):
    d, patient, _, _, _ = setup
    now = clock.now()
    with pytest.raises(Exception, match="recorded"):
        await d.consents.grant(
            patient,
            GranteeKind.DOCTOR,
            DELEGATE,
            now,
            now + timedelta(days=1),
            source=GrantSource.PAPER,
        )
    grant = await d.consents.grant(
        patient,
        GranteeKind.DOCTOR,
        DELEGATE,
        now,
        now + timedelta(days=1),
        source=GrantSource.PAPER,
        recorded_by="registrar1",
        name="dr Zewnętrzny",
    )
    assert grant.recorded_by == "registrar1"
    assert [g.id for g in await d.consents.to_phones(["+48600100200"])] == [grant.id]


async def test_the_desk_sends_a_link_by_sms_to_the_cards_phone(db, clock, setup):
    d, patient, _, document, _ = setup
    await d.links.send_by_sms(patient, document, "https://clinic.example")
    phone, url, language = d.codes.links[-1]
    assert (phone, language) == ("+48501000001", "pl")
    token = url.removeprefix("https://clinic.example/documents/open/")
    assert (await d.links.look(token)).birth_date_check
    opened = await d.links.open(token, birth_date=BIRTH)
    assert opened.content == PDF
    [logged] = await _log(db)
    assert logged.channel is Channel.SMS
