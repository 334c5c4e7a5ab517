"""The background jobs: keep slots generated ahead, expire holds and waiting-list offers,
plan notifications, deliver them and settle those a crash caught mid-send, remove the
documents whose kind's retention ran out, sync the partner platforms.

One loop, one pass every WORKER_INTERVAL_SECONDS. A job that fails is logged
and tried again on the next pass; the others still run. On SIGTERM or app
shutdown the loop is asked to stop and lets the pass under way finish, so no
database operation is abandoned half-way; cancelling it still works (each
job is its own transaction, rolled back if cut short).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, timedelta

from bot.whatsapp.notify import SmsSender, WhatsAppSender
from core.cause import caused_by
from core.clock import Clock
from core.messaging.doubt import DoubtPolicy, DoubtResolver
from core.messaging.notifications import DeliveryPolicy, Dispatcher
from core.messaging.port import Sender, SentLedger
from core.partners.port import PartnerClient
from core.schedule.templates import GenerationReport, ScheduleService
from core.vocab import Channel
from edge.twilio_lists import TwilioLedger
from frontdesk.delivery import planner, worker_id
from frontdesk.logs import new_id
from frontdesk.partners import partner_jobs
from frontdesk.services import Services
from frontdesk.settings import Settings

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class SlotRegeneration:
    """Regenerates the slots of the coming `horizon_days` at start, then once a day."""

    def __init__(self, schedule: ScheduleService, clock: Clock, horizon_days: int) -> None:
        self.schedule = schedule
        self.clock = clock
        self.horizon = timedelta(days=horizon_days)
        self._done_on: date | None = None

    async def __call__(self) -> GenerationReport | None:
        today = self.clock.now().date()
        if self._done_on == today:
            return None
        report = await self.schedule.regenerate(today, today + self.horizon)
        self._done_on = today
        log.info(
            "slots regenerated to %s: %d created, %d updated, %d removed",
            today + self.horizon,
            report.created,
            report.updated,
            report.removed,
        )
        if report.conflicts:
            log.warning(
                "%d booked visits lost their slot: see schedule conflicts", len(report.conflicts)
            )
        return report


def default_jobs(
    services: Services,
    settings: Settings,
    senders: Mapping[Channel, Sender] | None = None,
    partners: Mapping[Channel, PartnerClient] | None = None,
) -> list[tuple[str, Job]]:
    """The jobs every deployment runs, in the order of one pass."""
    lease = timedelta(seconds=settings.notification_lease_seconds)
    dispatcher = Dispatcher(
        services.db,
        services.clock,
        senders or {},
        worker_id(),
        DeliveryPolicy(lease=lease),
        links=services.booking_links.signer,
    )
    doubts = DoubtResolver(
        services.db, services.clock, ledgers(senders or {}), DoubtPolicy(lease=lease, grace=lease)
    )
    return [
        (
            "regenerate-slots",
            SlotRegeneration(services.schedule, services.clock, settings.slot_horizon_days),
        ),
        ("expire-holds", services.booking.sweep_holds),
        ("sweep-waitlist", services.waitlist.sweep),
        ("plan-notifications", planner(services, settings).plan),
        ("deliver-notifications", dispatcher.run_once),
        ("settle-notifications-in-doubt", doubts.run_once),
        ("purge-expired-documents", services.documents.purge_expired),
        *partner_jobs(services, settings, partners or {}),
    ]


def ledgers(senders: Mapping[Channel, Sender]) -> dict[Channel, SentLedger]:
    """The channels whose provider lists what we sent (Twilio's WhatsApp and SMS)."""
    return {
        channel: TwilioLedger(sender.client)
        for channel, sender in senders.items()
        if isinstance(sender, WhatsAppSender | SmsSender)
    }


class Worker:
    """Runs its jobs one after another, forever, with a pause between passes."""

    def __init__(self, jobs: Sequence[tuple[str, Job]], *, interval: float) -> None:
        self.jobs = list(jobs)
        self.interval = interval

    async def run_once(self) -> dict[str, object]:
        """One pass; what each job that succeeded returned."""
        results: dict[str, object] = {}
        with caused_by(new_id("pass-")):  # the lines of one pass, grouped
            for name, job in self.jobs:
                try:
                    results[name] = await job()
                except Exception:
                    log.exception("background job %s failed; retrying on the next pass", name)
        return results

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Pass after pass until `stop` is set (the pass under way finishes) or cancelled."""
        stop = stop or asyncio.Event()
        log.info("worker started: %s", ", ".join(name for name, _ in self.jobs))
        try:
            while not stop.is_set():
                await self.run_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.interval)
        finally:
            log.info("worker stopped")
