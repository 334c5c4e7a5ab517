"""CeR's sync through an outage, against the fake CeR on loopback (issue 21).

CeR cannot be reached while visits of its service are booked here and its own patients
book centrally into what it last saw free (some of which we have just taken: those are
refused here and cancelled there). Then it comes back: the time until every operation
is settled and every central change applied is measured, and then counted: visits
lost or duplicated on either side, central bookings refused, and whether the published
schedule equals the free time the engine's search offers CeR. Time is simulated
(FrozenClock) during the outage; on recovery it jumps past every retry's back-off.

    .venv/bin/python -m bench.cer [--backend sqlite|postgres] [--visits 200] [--central 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bench.partners import START, _database, _open, _starts
from core.actors import Actor
from core.booking.placement import VisitRequest
from core.clock import FrozenClock
from core.db.database import Database
from core.models import Booking, PartnerBooking
from core.patients.cards import PatientDraft, PatientService
from core.schedule.search import SlotSearch
from core.vocab import BookingStatus
from testkit.cer_rig import CER, HORIZON_DAYS, CerRig, cer_rig
from testkit.factories import warsaw_at

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pesel(born: date, serial: int) -> str:
    """A valid PESEL for a made-up patient (women: an even sex digit)."""
    month = born.month + (20 if born.year >= 2000 else 0)
    head = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial % 1000:03d}0"
    check = (10 - sum(int(d) * w for d, w in zip(head, WEIGHTS, strict=True)) % 10) % 10
    return head + str(check)


async def _free_equals_published(rig: CerRig) -> bool:
    search = SlotSearch(rig.db, rig.clock)
    doctor, service = rig.clinic.internist.id, rig.clinic.consult.id
    assert doctor is not None
    ours = []
    for n in range(1, HORIZON_DAYS):
        day = rig.clock.now().date() + timedelta(days=n)
        ours += [(s.start_at, s.end_at) for s in await search.doctor_day(doctor, day, CER, service)]
    tomorrow = warsaw_at(rig.clock, 1, 0)
    published = [p for s, p in rig.fake.slots("free") if s == rig.schedule and p[0] >= tomorrow]
    return _merge(published) == _merge(ours)


def _merge(periods: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for start, end in sorted(periods):
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


async def outage(db: Database, visits: int, central: int) -> dict[str, Any]:
    clock = FrozenClock(START)
    async with cer_rig(db, clock) as rig:
        await rig.settle(passes=200)
        doctor, service = rig.clinic.internist.id, rig.clinic.consult.id
        assert doctor is not None
        assert service is not None
        cards = PatientService(db, clock)
        starts = await _starts(db, clock, doctor, service, visits + central, days_ahead=1)
        rig.fake.down = True
        here: list[int] = []
        for n, at in enumerate(starts[:visits]):
            card = await cards.register(
                PatientDraft(
                    first_name="Ewa", last_name=f"Bench{n}", pesel=pesel(date(1980, 5, 1), n)
                )
            )
            assert card.id is not None
            booking = await rig.booking.book(
                Actor.staff("bench"), VisitRequest(card.id, service, doctor, at)
            )
            assert booking.id is not None
            here.append(booking.id)
            if n % 50 == 0:
                await rig.sync.run_once()  # the worker keeps trying
                clock.advance(timedelta(seconds=30))
        # CeR's patients book what CeR last saw free: half of it is taken here by now.
        free = [p for s, p in rig.fake.slots("free") if s == rig.schedule and p[0] >= starts[0]]
        central_ids = []
        for n in range(central):
            at = starts[visits + n // 2] if n % 2 else starts[n]  # every other one taken here
            if not any(a <= at < b for a, b in free):
                continue
            with contextlib.suppress(AssertionError):  # the fake refused: not free there
                central_ids.append(
                    rig.fake.book(rig.schedule, rig.service, at, pesel=pesel(date(1990, 7, 1), n))
                )
        rig.fake.down = False
        clock.advance(timedelta(hours=1))  # every back-off over
        began = time.perf_counter()
        passes = 0
        while True:
            report = await rig.pull()
            await rig.sync.run_once()
            passes += 1
            if not await _open(db) and not (report.applied or report.refused):
                break
        took = time.perf_counter() - began
        await rig.settle(passes=200)
        async with db.read() as session:
            active = set(
                (
                    await session.execute(
                        select(col(Booking.id)).where(col(Booking.status) == BookingStatus.BOOKED)
                    )
                ).scalars()
            )
            links = dict(
                (
                    await session.execute(
                        select(col(PartnerBooking.booking_id), col(PartnerBooking.remote_id))
                    )
                ).all()
            )
        there = {a.id for a in rig.fake.appointments.values() if a.status == "booked"}
        linked = {links[b] for b in active if b in links}
        refused = sum(1 for i in central_ids if rig.fake.appointments[i].status == "cancelled")
        return {
            "visits_here": len(here),
            "central": len(central_ids),
            "central_refused": refused,
            "seconds": round(took, 2),
            "passes": passes,
            "lost": len(active) - len(linked & there),
            "duplicated": len(there - linked),
            "published_is_free": await _free_equals_published(rig),
        }


async def main(backend: str, visits: int, central: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await _database(backend, Path(folder), "cer")
        try:
            print("outage", await outage(db, visits, central), flush=True)
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--central", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.visits, args.central))
