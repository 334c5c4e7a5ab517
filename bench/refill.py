"""The waiting list refilling freed time, simulated with the clock (issue 18): a clinic
with waiting lists, 100 cancellations at random moments (nights and late ones included)
over a working week; the list offers each freed time batch by batch, patients answer (or
not) after a while, some opted in to automatic booking. Reported: the share of the freed
visit time booked again before it began (`core/booking/waitlist_report.py`), and how many
messages reached a patient in quiet hours (goal: none).

    .venv/bin/python -m bench.refill [--cancellations 100] [--seed 18]
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.booking.waitlist_report import refill_report
from core.clock import FrozenClock
from core.db.database import Database
from core.errors import DomainError
from core.messaging.notifications import Dispatcher
from core.messaging.port import WAITLIST_BOOKED, WAITLIST_OFFER, Outgoing
from core.messaging.reminders import ReminderPlanner
from core.patients.cards import PatientDraft, PatientService
from core.quiet import QuietHours
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import Channel, ContactKind
from migrations.apply import upgrade_async
from testkit.factories import consultants, small_clinic

WARSAW = ZoneInfo("Europe/Warsaw")
START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 07:00 in Warsaw
STEP = timedelta(minutes=5)  # the worker's passes, as the simulation sees them
ANSWERS = 0.7  # share of offers a patient answers at all
TAKES = 0.6  # of those answered, the share taken
AUTO_BOOK = 0.2  # share of the waiting patients who opted in to automatic booking


@dataclass
class Phones:
    """The patients' messengers: what reached whom, and when (local time)."""

    quiet: QuietHours
    sent: list[tuple[str, datetime]] = field(default_factory=list)
    offers: list[tuple[int, int]] = field(default_factory=list)  # (patient, offer) to answer
    clock: FrozenClock | None = None
    cards: dict[str, int] = field(default_factory=dict)  # chat id -> patient

    async def send(self, address: str, message: Outgoing) -> str:
        assert self.clock is not None
        self.sent.append((message.topic, self.clock.now()))
        if message.topic == WAITLIST_OFFER and message.offer_id is not None:
            self.offers.append((self.cards[address], message.offer_id))
        return f"m{len(self.sent)}"

    def woken(self) -> int:
        return sum(1 for _t, at in self.sent if self.quiet.holds(at.astimezone(WARSAW).time()))


async def _patients(db: Database, clock: FrozenClock, count: int) -> dict[str, int]:
    """`count` cards, each with a Telegram chat: chat id -> patient."""
    cards = PatientService(db, clock)
    ids = {}
    for n in range(count):
        card = await cards.register(
            PatientDraft(
                first_name="Pacjent",
                last_name=f"Symulowany{n}",
                birth_date=date(1940, 1, 1) + timedelta(days=53 * n),
                contacts={ContactKind.TELEGRAM: str(10_000 + n)},
            )
        )
        assert card.id is not None
        ids[str(10_000 + n)] = card.id
    return ids


async def simulate(cancellations: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    clock = FrozenClock(START)
    quiet = QuietHours()
    policy = WaitlistPolicy(quiet=quiet)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'refill.db'}"
        await upgrade_async(url)
        db = Database.from_url(url)
        c = await small_clinic(db, clock, days=10)
        await consultants(db, clock, c, 4, days=10)
        chats = await _patients(db, clock, 2 * cancellations + 120)
        patients = list(chats.values())
        booked_for, waiting = patients[: int(1.5 * cancellations)], patients[-120:]
        bookings = BookingService(db, clock, waitlist=policy)
        waitlist = WaitlistService(db, clock, policy)
        free = []
        for day in range(1, 6):
            for hour in range(8, 18, 2):
                free += await SlotSearch(db, clock).find(
                    SlotQuery(
                        channel=Channel.STAFF,
                        service_id=c.consult.id,
                        start=START + timedelta(days=day),
                        end=START + timedelta(days=day + 1),
                        time_from=time(hour),
                        time_to=time(hour + 2),
                        limit=100,
                    )
                )
        visits = []
        for patient, slot in zip(booked_for, rng.sample(free, len(booked_for)), strict=True):
            assert c.consult.id is not None
            visits.append(
                await bookings.book(
                    Actor.staff("desk"),
                    VisitRequest(patient, c.consult.id, slot.doctor_id, slot.start_at),
                )
            )
        for patient in waiting:
            morning = rng.random() < 0.5
            window = (time(8), time(12)) if morning else (time(12), time(18))
            await waitlist.join(
                WaitRequest(
                    patient_id=patient,
                    channel=Channel.TELEGRAM,
                    service_id=c.consult.id,
                    time_from=window[0] if rng.random() < 0.5 else None,
                    time_to=window[1] if rng.random() < 0.5 else None,
                    auto_book=rng.random() < AUTO_BOOK,
                )
            )
        events: list[tuple[datetime, int, str, int, int]] = []  # when, tie, what, who, which
        for n, visit in enumerate(rng.sample(visits, cancellations)):
            latest = visit.start_at - timedelta(minutes=30)
            at = START + (latest - START) * rng.random()
            heapq.heappush(events, (at, n, "cancel", visit.patient_id, visit.id or 0))
        since = clock.now()
        phones = Phones(quiet, clock=clock, cards=chats)
        dispatcher = Dispatcher(db, clock, {Channel.TELEGRAM: phones}, "sim")
        planner = ReminderPlanner(db, clock)
        end = max(v.start_at for v in visits)
        tie = cancellations
        while clock.now() < end:
            clock.advance(STEP)
            while events and events[0][0] <= clock.now():
                _at, _n, what, who, which = heapq.heappop(events)
                actor = Actor.patient(who, Channel.TELEGRAM)
                try:
                    if what == "cancel":
                        await bookings.cancel(actor, which, "symulacja")
                    elif what == "take":
                        await waitlist.accept(actor, which)
                    else:
                        await waitlist.decline(actor, which)
                except DomainError:
                    pass  # taken by another, expired, or the visit already began
            await waitlist.sweep()
            await planner.plan()
            await dispatcher.run_once()
            for patient, offer in phones.offers:
                if rng.random() < ANSWERS:
                    tie += 1
                    what = "take" if rng.random() < TAKES else "decline"
                    later = clock.now() + timedelta(minutes=rng.uniform(1, 45))
                    heapq.heappush(events, (later, tie, what, patient, offer))
            phones.offers.clear()
        report = await refill_report(db, since, clock.now())
        await db.dispose()
    return {
        "cancellations": cancellations,
        "freed_visits": report.freed_visits,
        "refilled_visits": report.refilled_visits,
        "freed_minutes": report.freed_minutes,
        "refilled_minutes": report.refilled_minutes,
        "share_refilled": round(report.share, 3),
        "offers_sent": sum(1 for t, _ in phones.sent if t == WAITLIST_OFFER),
        "auto_bookings_told": sum(1 for t, _ in phones.sent if t == WAITLIST_BOOKED),
        "messages_in_quiet_hours": phones.woken(),
        "seed": seed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.refill", description=__doc__)
    parser.add_argument("--cancellations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(simulate(args.cancellations, args.seed))))


if __name__ == "__main__":
    main()
