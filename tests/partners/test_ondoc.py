"""ONDOC against its fake: a patient links their account with a 9-digit code, then their
visits from any channel appear there (edited, cancelled with the reason, restored);
unlinked patients' visits never do."""

from __future__ import annotations

from functools import partial

import httpx
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.models import PartnerMapping
from core.partners.inbox import PartnerInbox
from core.partners.sync import PartnerSync
from core.vocab import Channel
from partners.ondoc import OndocAccount, OndocClient
from testkit.factories import adult, small_clinic, warsaw_at
from testkit.fakes.ondoc import BRANCH_TOKEN, COMPANY_TOKEN, FakeOndoc

OD = Channel.ONDOC


async def _linked(db) -> dict[int, str]:
    async with db.read() as session:
        rows = await session.execute(
            select(col(PartnerMapping.local_id), col(PartnerMapping.remote_id)).where(
                col(PartnerMapping.partner) == OD
            )
        )
        return dict(rows.all())


async def test_linked_patients_visits_from_every_channel_reach_ondoc(db, clock):
    clinic = await small_clinic(db, clock)
    fake = FakeOndoc()
    server = TestServer(fake.app())
    await server.start_server()
    booking = BookingService(db, clock)
    inbox = PartnerInbox(db, clock, booking)
    try:
        async with httpx.AsyncClient() as http:
            account = OndocAccount(str(server.make_url("")), COMPANY_TOKEN, BRANCH_TOKEN)
            client = OndocClient(http, account)
            sync = PartnerSync(db, clock, {OD: client}, "w1")
            linked, stranger = await adult(db, clock, 1), await adult(db, clock, 2)

            code = await client.link_code(
                linked, "Ewa", "Testowa1", None, {"phone": "+48501000001"}
            )
            assert len(code) == 9
            assert code.isdigit()
            remote = fake.patient_links(code)
            await client.pull(partial(inbox.receive, OD))
            await inbox.apply_pending()
            assert await _linked(db) == {linked: remote}

            c = clinic
            mine = await booking.book(
                Actor.patient(linked, Channel.WHATSAPP),
                VisitRequest(linked, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9)),
            )
            await booking.book(
                Actor.patient(stranger, Channel.TELEGRAM),
                VisitRequest(stranger, c.consult.id, c.internist.id, warsaw_at(clock, 1, 10)),
            )
            await sync.run_once()
            [appointment] = fake.appointments.values()
            assert appointment.body["patient_id"] == remote
            assert appointment.body["start"] == warsaw_at(clock, 1, 9).isoformat()  # clinic's zone
            assert appointment.body["doctor_name"] == "lek. Anna Kowalska"

            staff = Actor.staff("desk")
            await booking.reschedule(
                staff, mine.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 1, 11)
            )
            await booking.cancel(staff, mine.id, "doctor ill")
            await sync.run_once()
            assert appointment.body["start"] == warsaw_at(clock, 1, 11).isoformat()
            assert (appointment.status, appointment.reason) == ("cancelled", "doctor ill")

            await booking.restore(staff, mine.id)
            await sync.run_once()
            assert [a.status for a in fake.appointments.values()] == ["cancelled", "booked"]

            # Unlinked from their side: later visits stay here only.
            fake.patient_unlinks(remote)
            await client.pull(partial(inbox.receive, OD))
            await inbox.apply_pending()
            assert await _linked(db) == {}
            await booking.book(
                Actor.patient(linked, Channel.TELEGRAM),
                VisitRequest(linked, c.consult.id, c.internist.id, warsaw_at(clock, 2, 9)),
            )
            await sync.run_once()
            assert len(fake.appointments) == 2
    finally:
        await server.close()
