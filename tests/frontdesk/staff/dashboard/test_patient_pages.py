"""The patients' pages (frontdesk/staff/dashboard/patient_pages.py) over HTTP, on SQLite and
PostgreSQL: a card with its identity, contacts, visits and messages; a linking code shown
once that links a chat; a flagged card verified, or merged into the patient's own card
with its visit; a doctor kept out."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, BookingLink, Notification, Patient
from core.patients.cards import PatientDraft, PatientService
from core.patients.linking import LinkingService
from core.vocab import (
    BookingStatus,
    CareRelation,
    Channel,
    ContactKind,
    LinkOrigin,
    NotificationStatus,
)
from frontdesk import keys
from testkit.dashboard import Client, book, log_in
from testkit.staff_desk import Desk

CODE = re.compile(r'class="code"[^>]*>(\d{3}) (\d{3}) (\d{3})<')
SECRET = b"dashboard-secret-key-0123456789abcdef"


class Texts:
    """The SMS line, as the courier sees it: what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, address: str, text: str) -> None:
        self.sent.append((address, text))


async def test_the_card_shows_identity_contacts_visits_and_messages(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, booking_id)).patient_id

    async def sent(session: AsyncSession) -> None:
        session.add(
            Notification(
                key="r1",
                patient_id=patient_id,
                booking_id=booking_id,
                topic="reminder",
                due_at=clock.now(),
                created_at=clock.now(),
                status=NotificationStatus.SENT,
                channel=Channel.SMS,
            )
        )

    await db.write(sent)
    await log_in(client, "reg")
    card = await client.get(f"/staff/patients/{patient_id}")
    text = await card.text()
    assert card.status == 200, text
    assert "Ewa Testowa1" in text
    assert "+48501000001" in text
    assert f"/staff/bookings/{booking_id}" in text
    assert "Reminder" in text
    assert "Sent" in text
    assert f"/staff/grid?patient={patient_id}" in text
    assert f"/staff/patients/{patient_id}/documents" in text
    found = await (await client.get("/staff/patients?q=" + quote("501 000 001"))).text()
    assert f"/staff/patients/{patient_id}" in found
    await log_in(client, "kowalska")
    assert (await client.get(f"/staff/patients/{patient_id}")).status == 403


async def test_a_code_shown_once_links_a_chat(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, booking_id)).patient_id
    token = await log_in(client, "reg")
    issued = await client.post(
        f"/staff/patients/{patient_id}/code", data={"csrf_token": token, "deliver": "show"}
    )
    text = await issued.text()
    found = CODE.search(text)
    assert found is not None, text
    code = "".join(found.groups())
    again = await client.get(f"/staff/patients/{patient_id}/code", allow_redirects=False)
    assert again.headers["Location"] == f"/staff/patients/{patient_id}"  # never shown twice
    linking = LinkingService(db, clock, SECRET)
    assert await linking.redeem(Channel.TELEGRAM, "777", code) == patient_id
    # By SMS with no SMS channel configured: not sent, and the code is not shown.
    by_sms = await (
        await client.post(
            f"/staff/patients/{patient_id}/code", data={"csrf_token": token, "deliver": "sms"}
        )
    ).text()
    assert CODE.search(by_sms) is None
    assert "could not be sent" in by_sms
    # With text messages set up, the code reaches the card's phone and is not shown.
    texts = Texts()
    client.app[keys.SERVICES].courier.register(ContactKind.PHONE, texts)
    sent = await (
        await client.post(
            f"/staff/patients/{patient_id}/code", data={"csrf_token": token, "deliver": "sms"}
        )
    ).text()
    assert "was sent by SMS" in sent
    [(address, text)] = texts.sent
    assert address == "+48501000001"
    code = re.sub(r"\D", "", text.split(":")[1].split(".")[0])
    assert CODE.search(sent) is None
    assert await linking.redeem(Channel.WHATSAPP, "whatsapp:+48501000001", code) == patient_id


async def test_a_flagged_card_is_verified_or_merged(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        kept = (await session.get_one(Booking, booking_id)).patient_id
    patients = PatientService(db, clock)
    flagged = await patients.register(
        PatientDraft(
            first_name="Nieznany",
            last_name="Rozmówca",
            contacts={ContactKind.PHONE: "+48 601 234 567"},
            needs_verification=True,
        )
    )
    other = await patients.register(
        PatientDraft(first_name="Jan", last_name="Drugi", needs_verification=True)
    )
    token = await log_in(client, "reg")
    listed = await (await client.get("/staff/patients?flagged=1")).text()
    assert f"/staff/patients/{flagged.id}" in listed
    assert f"/staff/patients/{kept}" not in listed

    verified = await client.post(
        f"/staff/patients/{other.id}/verify", data={"csrf_token": token}, allow_redirects=False
    )
    assert verified.status == 303
    assert (await patients.get(other.id or 0)).needs_verification is False

    choices = await (await client.get(f"/staff/patients/{flagged.id}/merge?q=testowa1")).text()
    assert f"/staff/patients/{flagged.id}/merge?into={kept}" in choices
    confirm = await (await client.get(f"/staff/patients/{flagged.id}/merge?into={kept}")).text()
    assert "Confirm the merge" in confirm
    merged = await client.post(
        f"/staff/patients/{flagged.id}/merge",
        data={"csrf_token": token, "into": str(kept)},
        allow_redirects=False,
    )
    assert merged.headers["Location"] == f"/staff/patients/{kept}"
    card = await (await client.get(f"/staff/patients/{kept}")).text()
    assert "+48601234567" in card
    assert f"/staff/bookings/{booking_id}" in card
    async with db.read() as session:
        assert await session.get(Patient, flagged.id) is None


async def test_a_booking_link_is_sent_from_the_card(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        patient_id = (await session.get_one(Booking, booking_id)).patient_id
    token = await log_in(client, "reg")
    card = await (await client.get(f"/staff/patients/{patient_id}")).text()
    assert f'name="patient_id" value="{patient_id}"' in card
    sent = await client.post(
        "/staff/booking-links",
        data={
            "csrf_token": token,
            "patient_id": str(patient_id),
            "service": str(clinic.clinic.consult.id),
            "next": f"/staff/patients/{patient_id}",
        },
    )
    assert sent.status == 200
    async with db.read() as session:
        [link] = (await session.execute(select(BookingLink))).scalars()
    assert (link.origin, link.origin_id, link.patient_id) == (
        LinkOrigin.CARD,
        patient_id,
        patient_id,
    )
    assert link.service_ids == [clinic.clinic.consult.id]


async def test_the_card_counts_the_patients_missed_visits(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)

    async def missed(session: AsyncSession) -> int:
        booking = await session.get_one(Booking, booking_id)
        booking.status = BookingStatus.NO_SHOW
        return booking.patient_id

    patient_id = await db.write(missed)
    await log_in(client, "reg")
    card = await (await client.get(f"/staff/patients/{patient_id}")).text()
    facts = card[card.index("Missed visits") :]
    assert facts.split("</dd>")[0].count(f"/staff/bookings/{booking_id}") == 1
    assert '<span class="flag">1</span>' in facts


async def test_the_card_names_the_patients_in_its_care_and_their_guardians(
    client: Client, clinic: Desk, db: Database, clock: FrozenClock
) -> None:
    booking_id = await book(db, clock, clinic, clinic.clinic.internist.id, 1)
    async with db.read() as session:
        parent = (await session.get_one(Booking, booking_id)).patient_id
    child = await PatientService(db, clock).register(
        PatientDraft(first_name="Zosia", last_name="Nowak"),
        in_care_of=(parent, CareRelation.CHILD),
    )
    await log_in(client, "reg")
    card = await (await client.get(f"/staff/patients/{parent}")).text()
    assert f'<a href="/staff/patients/{child.id}">Zosia Nowak</a> · child' in card
    childs = await (await client.get(f"/staff/patients/{child.id}")).text()
    assert f'<a href="/staff/patients/{parent}">' in childs
