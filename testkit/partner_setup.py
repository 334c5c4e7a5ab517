"""A small clinic mapped onto a fake Docplanner, and the engine's sync over it; a booking
made here, and the partner's id of a booking, for the sync's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.models import PartnerBooking
from core.partners.desk import PartnerDesk
from core.partners.inbox import PartnerInbox
from core.partners.sync import PartnerSync, SyncPolicy
from core.vocab import Channel, MappingKind
from partners.docplanner.client import DocplannerAccount, DocplannerClient
from testkit.factories import SmallClinic, small_clinic
from testkit.fakes.docplanner.server import CLIENT_ID, CLIENT_SECRET, FakeDocplanner
from testkit.fakes.docplanner.wire import Observer

ZL = Channel.ZNANYLEKARZ
CONSULT_SERVICE = "45"  # the dictionary's id of a consultation


@dataclass
class Rig:
    db: Database
    clock: FrozenClock
    clinic: SmallClinic
    fake: FakeDocplanner
    client: DocplannerClient
    sync: PartnerSync
    inbox: PartnerInbox
    desk: PartnerDesk
    booking: BookingService
    address: str  # the internist's calendar at the fake

    async def settle(self, passes: int = 20) -> None:
        """Sync until nothing is due now."""
        for _ in range(passes):
            report = await self.sync.run_once()
            if not (report.delivered or report.retried or report.skipped or report.planned):
                return


@asynccontextmanager
async def docplanner_rig(
    db: Database,
    clock: FrozenClock,
    *,
    days: int = 14,
    request_seconds: float = 5.0,
    clinic: SmallClinic | None = None,
    observers: Iterable[Observer] = (),
    writes_per_minute: int = 100_000,
) -> AsyncIterator[Rig]:
    """The sync over a fake Docplanner, for a new small clinic or the one given; the fake
    shown to `observers` (besides those watching every fake: tests/conftest.py's contract
    check); its write limit, and the adapter's, lifted unless asked for (Docplanner's is
    40 a minute)."""
    clinic = clinic or await small_clinic(db, clock, days=days)
    fake = FakeDocplanner(clock, writes_per_minute=writes_per_minute, observers=observers)
    address = fake.add_address("301", "9001", "Anna Kowalska", {"as-1": CONSULT_SERVICE})
    server = TestServer(fake.app())
    await server.start_server()
    try:
        fake.url = str(server.make_url("")).rstrip("/")
        desk = PartnerDesk(db, clock)
        assert clinic.internist.id is not None
        assert clinic.consult.id is not None
        await desk.map(ZL, MappingKind.DOCTOR, clinic.internist.id, address)
        await desk.map(ZL, MappingKind.SERVICE, clinic.consult.id, CONSULT_SERVICE)
        async with httpx.AsyncClient() as http:
            account = DocplannerAccount(
                fake.url,
                CLIENT_ID,
                CLIENT_SECRET,
                writes_per_minute=writes_per_minute,
                timeout=request_seconds,
            )
            client = DocplannerClient(http, account)
            policy = SyncPolicy(first_retry=timedelta(seconds=5), last_retry=timedelta(minutes=2))
            booking = BookingService(db, clock)
            yield Rig(
                db=db,
                clock=clock,
                clinic=clinic,
                fake=fake,
                client=client,
                sync=PartnerSync(db, clock, {ZL: client}, "worker-1", policy),
                inbox=PartnerInbox(db, clock, booking, {ZL: client}),
                desk=desk,
                booking=booking,
                address=address,
            )
    finally:
        await server.close()  # also when the test failed inside


async def book_here(rig, pid: int, at: datetime):
    c = rig.clinic
    return await rig.booking.book(
        Actor.patient(pid, Channel.TELEGRAM), VisitRequest(pid, c.consult.id, c.internist.id, at)
    )


async def remote_id_of(rig, booking_id: int):
    async with rig.db.read() as session:
        return (
            await session.execute(
                select(col(PartnerBooking.remote_id)).where(
                    col(PartnerBooking.booking_id) == booking_id
                )
            )
        ).scalar()
