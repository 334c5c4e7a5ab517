"""A small clinic whose consultation is NFZ-contracted, mapped onto a fake CeR, with the
engine's sync and inbox over it: what the CeR tests and the sync bench share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx
from aiohttp.test_utils import TestServer
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Service
from core.partners.inbox import ApplyReport, PartnerInbox
from core.partners.nfz import map_nfz_services
from core.partners.sync import PartnerSync, SyncPolicy
from core.vocab import Channel
from partners.cer import CerAccount, CerClient
from testkit.factories import SmallClinic, small_clinic
from testkit.fakes.cer import TOKEN, FakeCer

CER = Channel.CER
HORIZON_DAYS = 14


@dataclass
class CerRig:
    db: Database
    clock: FrozenClock
    clinic: SmallClinic
    fake: FakeCer
    client: CerClient
    sync: PartnerSync
    inbox: PartnerInbox
    booking: BookingService
    schedule: str  # the internist's schedule at CeR
    service: str  # the consultation's code at CeR

    async def settle(self, passes: int = 30) -> None:
        """Sync until nothing is due now."""
        for _ in range(passes):
            report = await self.sync.run_once()
            if not (report.delivered or report.retried or report.skipped or report.planned):
                return

    async def pull(self) -> ApplyReport:
        """CeR's changes read and applied, as the worker's pull job does."""
        await self.client.pull(partial(self.inbox.receive, CER))
        return await self.inbox.apply_pending()


async def mark_nfz(db: Database, service_id: int, *, e_referral: bool = False) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Service)
            .where(col(Service.id) == service_id)
            .values(nfz_contracted=True, e_referral_required=e_referral)
        )

    await db.write(work)


@asynccontextmanager
async def cer_rig(
    db: Database, clock: FrozenClock, *, e_referral: bool = False
) -> AsyncIterator[CerRig]:
    clinic = await small_clinic(db, clock, days=HORIZON_DAYS + 2)
    assert clinic.consult.id is not None
    await mark_nfz(db, clinic.consult.id, e_referral=e_referral)
    fake = FakeCer()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        await map_nfz_services(db, clock)
        async with httpx.AsyncClient() as http:
            client = CerClient(http, CerAccount(url, TOKEN, horizon_days=HORIZON_DAYS, timeout=2))
            policy = SyncPolicy(first_retry=timedelta(seconds=5), last_retry=timedelta(minutes=2))
            booking = BookingService(db, clock)
            yield CerRig(
                db=db,
                clock=clock,
                clinic=clinic,
                fake=fake,
                client=client,
                sync=PartnerSync(db, clock, {CER: client}, "worker-1", policy),
                inbox=PartnerInbox(db, clock, booking, {CER: client}),
                booking=booking,
                schedule=str(clinic.internist.id),
                service=clinic.consult.code,
            )
    finally:
        await server.close()
