"""`python -m bench.run`: build the datasets, measure, write docs/benchmarks.md.

Per backend: a fresh database, the clinic and its booked future, then the
history grown stage by stage (search measured after each stage), then
booking under contention (one process, then several) against a bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.backends import Target, provision
from bench.bare import bare_postgres, bare_sqlite
from bench.bulk import SQLiteLoader
from bench.contention import WorkerConfig, contention
from bench.dataset import (
    FULL,
    PATIENTS_SINCE,
    QUICK,
    Roster,
    RowMaker,
    Shape,
    build_structure,
)
from bench.report import BackendFigures, RunInfo, render
from bench.search import SearchPlan, measure_search
from bench.statements import booking_statements
from core.clinic.grid import GRID_MINUTES
from core.db.database import Database

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    """Everything that differs between a full run and a quick smoke run."""

    shape: Shape
    search: SearchPlan
    tasks: int  # concurrent booking tasks per process
    attempts: int  # booking attempts per run, shared by its processes
    hot: int  # each attempt picks among this many earliest free slots
    processes: int  # for the multi-process contention run
    bare_rows: int


FULL_PLAN = Plan(FULL, SearchPlan(400, 40, 30.0, 10.0, 30), 50, 1000, 10, 3, 5000)
QUICK_PLAN = Plan(QUICK, SearchPlan(40, 8, 5.0, 3.0, 8), 20, 200, 10, 3, 500)


async def build(target: Target, shape: Shape) -> tuple[Roster, RowMaker]:
    """The clinic's structure (through the engine) and its booked future (in bulk)."""
    db = Database.from_url(target.url)
    try:
        roster = await build_structure(db, shape)
    finally:
        await db.dispose()
    loader = await target.loader()
    if isinstance(loader, SQLiteLoader):  # the engine wrote the patients: same format?
        loader.check_format("patient", "created_at", roster.patients[0], PATIENTS_SINCE)
    maker = RowMaker(roster)
    await maker.load_future(loader, shape.days)
    await loader.close()
    return roster, maker


def _workers(roster: Roster, plan: Plan, processes: int, first: int) -> list[WorkerConfig]:
    """Workers racing for the slots of four doctors, each task with its own patient."""
    doctors = roster.doctors[first : first + 4]
    start_at = time.time() + 3.0 + processes  # time for every process to connect
    return [
        WorkerConfig(
            doctors=doctors,
            services={d: roster.primary[d] for d in doctors},
            patients=roster.patients[p * plan.tasks : (p + 1) * plan.tasks],
            attempts=plan.attempts // processes,
            hot=plan.hot,
            seed=p,
            start_at=start_at,
        )
        for p in range(processes)
    ]


async def bench_backend(backend: str, plan: Plan) -> BackendFigures:
    shape = plan.shape
    phase = Phases(backend)
    async with provision(backend) as target:
        with phase("build"):
            roster, maker = await build(target, shape)
        figures = BackendFigures(backend, await target.server_version(), maker.counts)
        for history in shape.history:
            with phase("build"):
                loader = await target.loader()
                await maker.extend_history(loader, history)
                await loader.close()
            with phase("search"):
                figures.search.append(
                    await measure_search(target.url, roster, shape.days, history, plan.search)
                )
        minutes = roster.minutes[roster.primary[roster.doctors[0]]]
        with phase("contention"):
            for processes, first in ((1, 0), (plan.processes, 4)):
                configs = _workers(roster, plan, processes, first)
                figures.contention.append(
                    await contention(target.url, configs, minutes // GRID_MINUTES)
                )
            if backend == "sqlite":
                figures.bare_per_second = await bare_sqlite(target.scratch, plan.bare_rows)
                figures.bare_synced_per_second = await bare_sqlite(
                    target.scratch, plan.bare_rows // 5, "FULL"
                )
            else:
                figures.bare_per_second = await bare_postgres(target.url, plan.bare_rows)
            figures.booking_statements = await booking_statements(target.url, roster)
    figures.seconds = dict(phase.seconds)
    return figures


class Phases:
    """Wall-clock seconds per phase of one backend's run, logged as each step ends."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        took = time.perf_counter() - started
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        print(f"{self.backend}: {name} step done in {took:.0f} s", file=sys.stderr)


def machine(backends: list[BackendFigures]) -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        cpu = models[0].split(":", 1)[1].strip() if models else cpu
    facts = {
        "CPU cores": str(os.cpu_count()),
        "CPU": cpu,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SQLite (library)": sqlite3.sqlite_version,
        "SQLAlchemy / aiosqlite / asyncpg": " / ".join(
            version(p) for p in ("sqlalchemy", "aiosqlite", "asyncpg")
        ),
    }
    for b in backends:
        if b.backend == "postgres":
            facts["PostgreSQL (server)"] = b.version
    return facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="a small smoke-sized run")
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the report (default: {DOC} for a full run, none for --quick)",
    )
    args = parser.parse_args(argv)
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    output = args.output or (None if args.quick else DOC)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]

    started_at = datetime.now(UTC)
    started = time.perf_counter()
    figures = [asyncio.run(bench_backend(b, plan)) for b in backends]
    command = " ".join([".venv/bin/python", "-m", "bench.run", *(argv or sys.argv[1:])])
    run = RunInfo(
        command=command,
        started=started_at.strftime("%Y-%m-%d %H:%M"),
        seconds=time.perf_counter() - started,
        machine=machine(figures),
        shape=plan.shape,
    )
    report = render(run, figures)
    if output is None:
        sys.stdout.write(report)
    else:
        output.write_text(report)
        print(f"wrote {output} in {run.seconds / 60:.1f} minutes", file=sys.stderr)


if __name__ == "__main__":
    main()
