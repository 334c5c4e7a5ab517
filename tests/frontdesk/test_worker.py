"""The background jobs (frontdesk/worker.py), on SQLite and PostgreSQL: slots regenerated
once a day and moving with the clock, holds expired, a failing job logged and the loop going
on, a stopped worker finishing its pass."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.schedule.search import SlotQuery
from core.vocab import Channel
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.worker import SlotRegeneration, Worker, default_jobs


async def test_worker_regenerates_once_a_day_and_expires_holds(
    seeded: Database, clock: FrozenClock
) -> None:
    settings = Settings(slot_horizon_days=14)
    services = build_services(seeded, clock, settings)
    worker = Worker(default_jobs(services, settings), interval=1)
    consult = await services.catalog.service_by_code("INT-CONS")
    assert consult.id is not None
    [slot] = await services.search.find(
        SlotQuery(channel=Channel.TELEGRAM, service_id=consult.id, limit=1)
    )
    await BookingService(seeded, clock).hold(
        Channel.TELEGRAM, consult.id, slot.doctor_id, slot.start_at
    )

    first = await worker.run_once()
    clock.advance(timedelta(minutes=10))
    second = await worker.run_once()

    report = first["regenerate-slots"]
    assert report is not None
    assert getattr(report, "created", 0) > 0  # the seed made one week, the worker two
    assert second["regenerate-slots"] is None  # same day: not again
    assert first["expire-holds"] == 0
    assert second["expire-holds"] == 1
    assert second["sweep-waitlist"] == 0


async def test_a_failing_job_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes = 0
    enough = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("boom")

    async def counting() -> int:
        nonlocal passes
        passes += 1
        if passes >= 3:
            enough.set()
        return passes

    worker = Worker([("broken", broken), ("counting", counting)], interval=0.001)
    with caplog.at_level(logging.ERROR, logger="frontdesk.worker"):
        task = asyncio.create_task(worker.run())
        async with asyncio.timeout(5):
            await enough.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert "background job broken failed" in caplog.text
    assert passes >= 3


async def test_a_stopped_worker_finishes_its_pass_and_returns() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished = []

    async def slow_job() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    stop = asyncio.Event()
    task = asyncio.create_task(Worker([("slow", slow_job)], interval=3600).run(stop))
    await started.wait()
    stop.set()
    release.set()
    async with asyncio.timeout(5):
        await task  # returns, not cancelled, without waiting out the interval

    assert finished == [True]


async def test_slot_regeneration_moves_with_the_clock(seeded: Database, clock: FrozenClock) -> None:
    services = build_services(seeded, clock, Settings())
    regenerate = SlotRegeneration(services.schedule, clock, horizon_days=7)
    assert await regenerate() is not None
    assert await regenerate() is None
    clock.advance(timedelta(days=1))
    assert await regenerate() is not None
