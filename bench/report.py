"""docs/benchmarks.md: the figures of one run, the goals they meet or miss, the machine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.contention import ContentionFigures
from bench.dataset import Shape
from bench.search import SearchFigures
from bench.timing import Latency

SEARCH_GOAL_MS = 10.0  # p95 on SQLite; by visit length on both databases (issue 19)
HISTORY_GOAL = 1.5  # p95 with the largest history / p95 with the smallest
BARE_GOAL = 0.25  # engine bookings per second / bare inserts per second
BOOKING_STATEMENTS_GOAL = 6  # statements of one booking on the hot path
ANALYSIS = Path(__file__).with_name("analysis.md")
QUESTIONS = {
    "earliest": "earliest 5 for a service from now",
    "day": "a doctor's free visits on a day",
}


@dataclass
class BackendFigures:
    backend: str
    version: str
    counts: Mapping[str, int]
    search: list[SearchFigures] = field(default_factory=list)
    contention: list[ContentionFigures] = field(default_factory=list)
    bare_per_second: float = 0.0
    bare_synced_per_second: float | None = None  # SQLite with synchronous=FULL, for context
    booking_statements: list[str] = field(default_factory=list)  # one booking's, in order
    seconds: dict[str, float] = field(default_factory=dict)  # wall-clock time per phase


@dataclass(frozen=True)
class RunInfo:
    command: str
    started: str  # ISO date and time, UTC
    seconds: float
    machine: dict[str, str]
    shape: Shape


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def _latency(figures: SearchFigures, who: str, question: str) -> Latency:
    latency: Latency = getattr(figures, f"{who}_{question}")
    return latency


def history_ratio(backend: BackendFigures, question: str) -> float:
    """p95 at the largest history over p95 at the smallest, engine only."""
    first, last = backend.search[0], backend.search[-1]
    return _latency(last, "engine", question).p95 / _latency(first, "engine", question).p95


def goals(backends: list[BackendFigures]) -> list[str]:
    rows: list[list[str]] = []
    for b in backends:
        for s in b.search if b.backend == "sqlite" else []:
            for q, text in QUESTIONS.items():
                p95 = _latency(s, "engine", q).p95
                rows.append(
                    [
                        f"SQLite search p95 < {SEARCH_GOAL_MS:g} ms: {text}, {s.history:,} past",
                        f"{_ms(p95)} ms",
                        _verdict(p95 < SEARCH_GOAL_MS),
                    ]
                )
        for s in b.search:
            for minutes, latency in s.earliest_by_length.items():
                rows.append(
                    [
                        f"{b.backend}: earliest 5 p95 < {SEARCH_GOAL_MS:g} ms, "
                        f"{minutes}-minute visits, {s.history:,} past",
                        f"{_ms(latency.p95)} ms",
                        _verdict(latency.p95 < SEARCH_GOAL_MS),
                    ]
                )
        for q, text in QUESTIONS.items():
            ratio = history_ratio(b, q)
            rows.append(
                [
                    f"{b.backend}: {text}, p95 {b.search[-1].history:,} / "
                    f"{b.search[0].history:,} past ≤ {HISTORY_GOAL}",
                    f"{ratio:.2f}x",
                    _verdict(ratio <= HISTORY_GOAL),
                ]
            )
        for c in b.contention:
            ratio = c.per_second / b.bare_per_second
            rows.append(
                [
                    f"{b.backend}, {c.processes} process(es): zero double bookings",
                    str(c.double_bookings),
                    _verdict(c.double_bookings == 0 and c.cells_ok),
                ]
            )
            rows.append(
                [
                    f"{b.backend}, {c.processes} process(es): bookings/s ≥ {BARE_GOAL} x bare",
                    f"{ratio:.2g}x",
                    _verdict(ratio >= BARE_GOAL),
                ]
            )
        if b.booking_statements:
            sent = len(b.booking_statements)
            rows.append(
                [
                    f"{b.backend}: a booking in ≤ {BOOKING_STATEMENTS_GOAL} statements",
                    str(sent),
                    _verdict(sent <= BOOKING_STATEMENTS_GOAL),
                ]
            )
    return _table(["Goal", "Measured", "Verdict"], rows)


def _search_section(b: BackendFigures) -> list[str]:
    lines = [f"### Search, {b.backend}", ""]
    rows = []
    for s in b.search:
        for q, text in QUESTIONS.items():
            engine, naive = _latency(s, "engine", q), _latency(s, "naive", q)
            rows.append(
                [
                    text,
                    f"{s.history:,}",
                    engine.n,
                    _ms(engine.p50),
                    _ms(engine.p95),
                    _ms(engine.p99),
                    naive.n,
                    _ms(naive.p50),
                    _ms(naive.p95),
                    f"{naive.p50 / engine.p50:.1f}x",
                    f"{naive.p95 / engine.p95:.1f}x",
                ]
            )
    header = ["Question", "Past bookings", "n", "p50 ms", "p95 ms", "p99 ms"]
    header += ["naive n", "naive p50", "naive p95", "naive/engine p50", "naive/engine p95"]
    lines += _table(header, rows)
    lines += ["Engine, earliest 5 for a service, by visit length:", ""]
    lengths = [
        [f"{s.history:,}", f"{minutes} min", t.n, _ms(t.p50), _ms(t.p95), _ms(t.p99)]
        for s in b.search
        for minutes, t in s.earliest_by_length.items()
    ]
    lines += _table(["Past bookings", "Visit", "n", "p50 ms", "p95 ms", "p99 ms"], lengths)
    ratios = ", ".join(f"{text}: **{history_ratio(b, q):.2f}x**" for q, text in QUESTIONS.items())
    agreed = sum(s.agreed for s in b.search)
    compared = sum(s.compared for s in b.search)
    lines += [
        f"Engine p95 with {b.search[-1].history:,} past bookings over p95 with "
        f"{b.search[0].history:,}: {ratios}.",
        "",
        f"Engine and naive gave identical answers to {agreed} of {compared} questions "
        "asked of both.",
        "",
        "SQL time per engine call, by statement (a separate pass of traced calls):",
        "",
    ]
    costs = [
        [
            QUESTIONS[kind.removeprefix("engine_")],
            f"{s.history:,}",
            f"`{c.label}`",
            f"{c.per_call:.1f}",
            _ms(c.ms_per_call),
        ]
        for s in b.search
        for kind, statements in s.statements.items()
        for c in statements
    ]
    lines += _table(["Question", "Past bookings", "Statement", "runs/call", "ms/call"], costs)
    return lines


def _short(statement: str) -> str:
    """A statement's first words, up to its first column list or values."""
    head = statement.split(" (", 1)[0] if statement.startswith("INSERT") else statement
    return head if len(head) <= 70 else head[:69] + "…"


def _contention_section(b: BackendFigures) -> list[str]:
    lines = [f"### Booking under contention, {b.backend}", ""]
    rows = [
        [
            c.processes,
            c.tasks,
            c.attempts,
            c.successes,
            c.taken,
            c.errors,
            f"{c.seconds:.1f}",
            f"{c.attempts / c.seconds:.0f}",
            f"{c.per_second:.1f}",
            f"{b.bare_per_second:.0f}",
            f"{c.per_second / b.bare_per_second:.2g}x",
            c.double_bookings,
            "yes" if c.cells_ok else "**NO**",
        ]
        for c in b.contention
    ]
    header = ["Processes", "Tasks", "Attempts", "Booked", "SlotTaken", "Other errors", "Seconds"]
    header += ["Attempts/s", "Bookings/s", "Bare rows/s", "Ratio", "Double bookings"]
    header += ["Rows and cells check"]
    lines += _table(header, rows)
    if b.booking_statements:
        lines += [
            f"One booking with nothing in its way sends {len(b.booking_statements)} "
            "statements (counted by an engine event, BEGIN and COMMIT aside; "
            "`bench/statements.py`):",
            "",
            *(f"{n}. `{_short(s)}`" for n, s in enumerate(b.booking_statements, 1)),
            "",
        ]
    if b.bare_synced_per_second is not None:
        lines += [
            f"For context, the same bare loop with `synchronous=FULL` (an fsync per commit) "
            f"does {b.bare_synced_per_second:.0f} rows/s.",
            "",
        ]
    return lines


def render(run: RunInfo, backends: list[BackendFigures]) -> str:
    shape = run.shape
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/` (not part of the test suite; `make bench` runs the same). "
        "Reproduce with:",
        "",
        "```sh",
        run.command,
        "```",
        "",
        f"Run on {run.started} UTC; the whole run took {run.seconds / 60:.1f} minutes "
        + "("
        + "; ".join(
            f"{b.backend}: " + ", ".join(f"{k} {v:.0f} s" for k, v in b.seconds.items())
            for b in backends
        )
        + ").",
        "",
        "## Machine",
        "",
        *_table(["", ""], run.machine.items()),
        "## Dataset",
        "",
        f"{shape.doctors} doctors in 4 branches (Europe/Warsaw), Monday to Friday shifts of "
        f"24 fifteen-minute slots, {shape.days} days of slots from a frozen now "
        "(Monday 07:00 local), visible to every channel. Eight services: seven of 15 minutes, "
        "each performed by about a fifth of the doctors, and one of 30 minutes. A quarter of "
        "the doctors have a room, so their visits also occupy room cells. The future is booked "
        "95% today, falling to a few percent at 90 days; the past (days before today, with "
        "their slots, which the engine never deletes) is 80% booked: 88% completed, 8% "
        "cancelled, 4% no-show.",
        "",
    ]
    rows = [
        [
            b.backend,
            b.version,
            *(f"{b.counts[k]:,}" for k in COUNT_KEYS),
            f"{b.seconds['build']:.0f}",
        ]
        for b in backends
    ]
    header = ["Backend", "Version", "Future slots", "Future bookings", "Past slots"]
    header += ["Past bookings", "Occupancy cells", "Build s"]
    lines += _table(header, rows)
    lines += ["## Goals", "", *goals(backends)]
    lines += ["## Results", ""]
    for b in backends:
        lines += _search_section(b)
    for b in backends:
        lines += _contention_section(b)
    if ANALYSIS.exists():
        lines += [ANALYSIS.read_text().strip(), ""]
    return "\n".join(lines)


COUNT_KEYS = ("future_slots", "future_bookings", "past_slots", "past_bookings", "cells")
