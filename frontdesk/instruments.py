"""The Prometheus instruments of one process (prometheus-client), in a registry of its own.

Two kinds of figures: latencies this process measured (webhooks per channel and step,
slot searches), and the state of the shared database read at each scrape (bookings per
channel, notifications, partner operations, callbacks: `core/figures.py`), which every
process reports alike. The database pool is this process's own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool

from core.db.database import Database
from core.figures import Figures
from core.schedule.search import FreeSlot, SlotQuery, SlotSearch

# Webhooks answer within Telegram's and Twilio's patience; the goal is under 50 ms.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class FiguresCollector(Collector):
    """Reports the last figures read from the database and this process's pool."""

    def __init__(self) -> None:
        self.figures = Figures()
        self.db: Database | None = None

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        bookings = CounterMetricFamily(
            "frontdesk_bookings", "Bookings made, by the channel they came from", labels=["channel"]
        )
        for channel, n in sorted(f.bookings.items()):
            bookings.add_metric([channel], n)
        yield bookings
        notifications = GaugeMetricFamily(
            "frontdesk_notifications",
            "Notifications by status (sent, failed, in_doubt, pending, ...)",
            labels=["status"],
        )
        for status, n in sorted(f.notifications.items()):
            notifications.add_metric([status], n)
        yield notifications
        yield GaugeMetricFamily(
            "frontdesk_notifications_due",
            "Notifications due now, not yet sent",
            f.notifications_due,
        )
        yield GaugeMetricFamily(
            "frontdesk_notification_lag_seconds",
            "How long the oldest due notification has waited",
            f.notification_lag,
        )
        doubts = CounterMetricFamily(
            "frontdesk_notifications_in_doubt_settled",
            "Notifications a crash caught mid-send, settled: confirmed by the provider, "
            "resent, or left unresolved",
            labels=["outcome"],
        )
        for outcome, n in sorted(f.doubts.items()):
            doubts.add_metric([outcome], n)
        yield doubts
        operations = GaugeMetricFamily(
            "frontdesk_partner_operations",
            "Operations owed to a partner: pending, claimed, or refused for good (failed)",
            labels=["partner", "status"],
        )
        for (partner, status), n in sorted(f.partner_operations.items()):
            operations.add_metric([partner, status], n)
        yield operations
        yield GaugeMetricFamily(
            "frontdesk_callbacks_waiting", "Callback requests not done", f.callbacks_waiting
        )
        yield GaugeMetricFamily(
            "frontdesk_callback_longest_wait_seconds",
            "How long the oldest open callback request has waited",
            f.callback_longest_wait,
        )
        yield from self._pool()

    def _pool(self) -> Iterator[Metric]:
        pool = self.db.engine.pool if self.db is not None else None
        if not isinstance(pool, QueuePool):  # SQLite's pool keeps no such count
            return
        used = GaugeMetricFamily(
            "frontdesk_db_pool_connections",
            "This process's database connections: in use, idle, and the pool's size",
            labels=["state"],
        )
        used.add_metric(["in_use"], pool.checkedout())
        used.add_metric(["idle"], pool.checkedin())
        used.add_metric(["size"], pool.size())
        yield used


@dataclass
class Instruments:
    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )

    def __post_init__(self) -> None:
        self.webhook_seconds = Histogram(
            "frontdesk_webhook_seconds",
            "Time to answer a webhook, by channel and the step of the journey it answered",
            ["channel", "step"],
            buckets=WEBHOOK_BUCKETS,
            registry=self.registry,
        )
        self.search_seconds = Histogram(
            "frontdesk_search_seconds",
            "Time of one free-slot search",
            ["kind"],
            buckets=SEARCH_BUCKETS,
            registry=self.registry,
        )
        self.figures = FiguresCollector()
        self.registry.register(self.figures)


class TimedSlotSearch(SlotSearch):
    """The slot search, its every call timed into `frontdesk_search_seconds`."""

    def __init__(self, search: SlotSearch, histogram: Histogram) -> None:
        super().__init__(search.db, search.clock)
        self.histogram = histogram

    async def find(self, query: SlotQuery) -> list[FreeSlot]:
        started = time.perf_counter()
        try:
            return await super().find(query)
        finally:
            self.histogram.labels("find").observe(time.perf_counter() - started)

    async def earliest_days(self, query: SlotQuery, days: int) -> list[FreeSlot]:
        started = time.perf_counter()
        try:
            return await super().earliest_days(query, days)
        finally:
            self.histogram.labels("earliest_days").observe(time.perf_counter() - started)
