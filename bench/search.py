"""Free-slot search: the engine against the naive baseline, on one dataset.

Two questions a patient asks: "the earliest 5 visits for this service from
now" (`SlotSearch.find`) and "this doctor's free visits on that day"
(`SlotSearch.doctor_day`). The same seeded list of questions is asked at every
history size, so the figures of the 10k and 1M histories compare like with like.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bench import naive
from bench.dataset import NOW, ZONE, Roster
from bench.sqltrace import StatementCost, StatementTimer
from bench.timing import Call, Latency, measure
from core.clock import FrozenClock
from core.db.database import Database
from core.schedule.search import FreeSlot, SlotQuery, SlotSearch
from core.vocab import Availability, Channel

CHANNEL = Channel.TELEGRAM
AGREEMENT_SAMPLE = 10  # questions asked of both to check that they answer alike
TRACED = 50  # calls per engine case whose statements are timed
ENGINE_CASES = ("engine_earliest", "engine_day")


@dataclass(frozen=True)
class SearchPlan:
    """How hard to look: timed calls per case, warm-up calls, time budgets per case."""

    iterations: int
    warmup: int
    engine_budget_s: float  # a slow engine case stops after this, with at least `minimum`
    naive_budget_s: float
    minimum: int


@dataclass(frozen=True)
class SearchFigures:
    history: int
    engine_earliest: Latency
    engine_day: Latency
    naive_earliest: Latency
    naive_day: Latency
    agreed: int
    compared: int
    statements: dict[str, list[StatementCost]]  # engine case -> its costliest statements
    earliest_by_length: dict[int, Latency]  # visit minutes -> engine "earliest" latency


def _keys(found: list[FreeSlot]) -> list[naive.Found]:
    return [(f.doctor_id, f.start_at) for f in found]


class Questions:
    """The seeded questions, as engine and naive calls returning comparable answers."""

    def __init__(self, db: Database, roster: Roster, days: int, count: int) -> None:
        rng = random.Random(2026)
        self.db, self.roster = db, roster
        self.search = SlotSearch(db, FrozenClock(NOW))
        self.zone = ZoneInfo(ZONE)
        self.bits = int(Availability.for_channel(CHANNEL))
        services = sorted(roster.minutes)
        self.services = [rng.choice(services) for _ in range(count)]
        self.days: list[tuple[int, date]] = [
            (rng.choice(roster.doctors), roster.today + timedelta(days=rng.randrange(days)))
            for _ in range(count)
        ]

    async def engine_earliest(self, service_id: int) -> list[naive.Found]:
        query = SlotQuery(channel=CHANNEL, service_id=service_id, limit=5)
        return _keys(await self.search.find(query))

    async def naive_earliest(self, service_id: int) -> list[naive.Found]:
        minutes = self.roster.minutes[service_id]
        return await naive.earliest(self.db, NOW, self.zone, service_id, minutes, self.bits)

    async def engine_day(self, doctor_id: int, day: date) -> list[naive.Found]:
        service_id = self.roster.primary[doctor_id]
        return _keys(await self.search.doctor_day(doctor_id, day, CHANNEL, service_id))

    async def naive_day(self, doctor_id: int, day: date) -> list[naive.Found]:
        minutes = self.roster.minutes[self.roster.primary[doctor_id]]
        return await naive.doctor_day(self.db, NOW, self.zone, doctor_id, day, minutes, self.bits)

    def calls(self, kind: str) -> list[Call]:
        """Every question of one kind ("engine_earliest", "naive_day", ...) as a call."""
        if kind.endswith("earliest"):
            ask_service = getattr(self, kind)
            return [partial(ask_service, s) for s in self.services]
        ask_day = getattr(self, kind)
        return [partial(ask_day, d, day) for d, day in self.days]


async def agreement(questions: Questions) -> tuple[int, int]:
    """How many of the first questions both answer identically, out of how many."""
    agreed = compared = 0
    for kind in ("earliest", "day"):
        engine = questions.calls(f"engine_{kind}")[:AGREEMENT_SAMPLE]
        baseline = questions.calls(f"naive_{kind}")[:AGREEMENT_SAMPLE]
        for ask_engine, ask_naive in zip(engine, baseline, strict=True):
            compared += 1
            agreed += await ask_engine() == await ask_naive()
    return agreed, compared


async def measure_search(
    url: str, roster: Roster, days: int, history: int, plan: SearchPlan
) -> SearchFigures:
    """Latencies of both questions, engine and naive, on the database at `url`."""
    db = Database.from_url(url)
    try:
        questions = Questions(db, roster, days, plan.warmup + plan.iterations)
        agreed, compared = await agreement(questions)
        figures: dict[str, Latency] = {}
        by_length: dict[int, list[float]] = {}
        for kind in ("engine_earliest", "engine_day", "naive_earliest", "naive_day"):
            calls = questions.calls(kind)
            is_naive = kind.startswith("naive")
            for call in calls[: plan.warmup // 4 if is_naive else plan.warmup]:
                await call()
            samples = await measure(
                calls[plan.warmup :],
                budget_s=plan.naive_budget_s if is_naive else plan.engine_budget_s,
                minimum=plan.minimum,
            )
            figures[kind] = Latency.of(samples)
            if kind == "engine_earliest":
                asked = questions.services[plan.warmup : plan.warmup + len(samples)]
                for service_id, took in zip(asked, samples, strict=True):
                    by_length.setdefault(roster.minutes[service_id], []).append(took)
    finally:
        await db.dispose()
    statements = {kind: await _trace(url, roster, days, kind, plan) for kind in ENGINE_CASES}
    return SearchFigures(
        history=history,
        engine_earliest=figures["engine_earliest"],
        engine_day=figures["engine_day"],
        naive_earliest=figures["naive_earliest"],
        naive_day=figures["naive_day"],
        agreed=agreed,
        compared=compared,
        statements=statements,
        earliest_by_length={m: Latency.of(t) for m, t in sorted(by_length.items())},
    )


async def _trace(
    url: str, roster: Roster, days: int, kind: str, plan: SearchPlan
) -> list[StatementCost]:
    """The SQL time per call of an engine case, by statement (a separate, untimed pass)."""
    db = Database.from_url(url)
    try:
        timer = StatementTimer(db.engine)
        calls = Questions(db, roster, days, plan.warmup + TRACED).calls(kind)[plan.warmup :]
        for call in calls:
            await call()
        return timer.costs(len(calls))
    finally:
        await db.dispose()
