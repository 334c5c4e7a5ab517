"""The partner platforms configured in the settings: their clients, the inbound gate,
and the background jobs that sync them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import httpx
from aiohttp import web

from core.clock import Clock
from core.db.database import Database
from core.partners.eligibility import Eligibility, EligibilityChecker
from core.partners.inbox import ApplyReport, PartnerInbox
from core.partners.nfz import map_nfz_services
from core.partners.port import PartnerClient, PartnerRefused, PartnerUnavailable
from core.partners.sync import PartnerSync, SyncPolicy
from core.vocab import Channel
from edge.forwarded import networks
from frontdesk import keys
from frontdesk.delivery import worker_id
from frontdesk.services import Services
from frontdesk.settings import Settings
from partners.cer import CerAccount, CerClient
from partners.docplanner.client import DocplannerAccount, DocplannerClient
from partners.docplanner_push import PushGate
from partners.luxmed import LuxmedClient, LuxmedConnector
from partners.ondoc import OndocAccount, OndocClient

log = logging.getLogger(__name__)


def docplanner_gate(settings: Settings) -> PushGate:
    return PushGate(settings.docplanner_push_api_key, networks(settings.docplanner_push_sources))


@dataclass(frozen=True)
class Partners:
    """The configured partners: whom to sync, and who must approve a booking first."""

    sync: dict[Channel, PartnerClient] = field(default_factory=dict)
    payers: dict[Channel, EligibilityChecker] = field(default_factory=dict)

    def eligibility(self, db: Database) -> Eligibility | None:
        return Eligibility(db, self.payers) if self.payers else None


@asynccontextmanager
async def open_partners(settings: Settings) -> AsyncIterator[Partners]:
    """A client per partner with credentials; none for the demo."""
    partners = Partners()
    async with httpx.AsyncClient() as http:
        if settings.docplanner_client_id and settings.docplanner_client_secret:
            account = DocplannerAccount(
                settings.docplanner_base_url,
                settings.docplanner_client_id,
                settings.docplanner_client_secret,
                writes_per_minute=settings.docplanner_writes_per_minute,
            )
            partners.sync[Channel.ZNANYLEKARZ] = DocplannerClient(http, account)
        if settings.luxmed_connector_url and settings.luxmed_password:
            connector = LuxmedConnector(
                settings.luxmed_connector_url,
                settings.luxmed_password,
                timeout=settings.luxmed_timeout_seconds,
            )
            luxmed = LuxmedClient(http, connector)
            partners.sync[Channel.LUXMED] = partners.payers[Channel.LUXMED] = luxmed
        if settings.ondoc_base_url and settings.ondoc_company_token and settings.ondoc_branch_token:
            ondoc = OndocAccount(
                settings.ondoc_base_url,
                settings.ondoc_company_token,
                settings.ondoc_branch_token,
                timezone=settings.ondoc_timezone,
            )
            partners.sync[Channel.ONDOC] = OndocClient(http, ondoc)
        if settings.cer_base_url and settings.cer_token:
            cer = CerAccount(
                settings.cer_base_url, settings.cer_token, horizon_days=settings.cer_horizon_days
            )
            partners.sync[Channel.CER] = CerClient(http, cer)
        yield partners


PARTNERS = web.AppKey("partners", Partners)


async def partners_ctx(app: web.Application) -> AsyncIterator[None]:
    """The web app's partner clients (the bot asks LUX MED before booking its services)."""
    async with open_partners(app[keys.SETTINGS]) as partners:
        app[PARTNERS] = partners
        yield


class PullAndApply:
    """Pulls each partner's notifications (the safety net under push) and applies them."""

    def __init__(self, inbox: PartnerInbox, clients: Mapping[Channel, PartnerClient]) -> None:
        self.inbox = inbox
        self.clients = clients

    async def __call__(self) -> ApplyReport:
        for partner, client in self.clients.items():
            try:
                await client.pull(partial(self.inbox.receive, partner))
            except (PartnerUnavailable, PartnerRefused) as exc:
                log.warning("pulling %s notifications failed: %s", partner, exc)
        return await self.inbox.apply_pending()


class Reconciliation:
    """Every `period`, each partner's calendar is published again in full: slots are
    authored here, so what changed there is overwritten."""

    def __init__(self, sync: PartnerSync, clock: Clock, period: timedelta) -> None:
        self.sync = sync
        self.clock = clock
        self.period = period
        self._last: datetime | None = None

    async def __call__(self) -> dict[Channel, int]:
        now = self.clock.now()
        if self._last is not None and now - self._last < self.period:
            return {}
        queued = {p: await self.sync.publish_all(p) for p in self.sync.clients}
        self._last = now
        for partner, days in queued.items():
            log.info("reconciliation: %d days of %s queued for publishing", days, partner)
        return queued


def partner_jobs(
    services: Services, settings: Settings, clients: Mapping[Channel, PartnerClient]
) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    if not clients:
        return []
    policy = SyncPolicy(lease=timedelta(seconds=settings.partner_lease_seconds))
    sync = PartnerSync(services.db, services.clock, clients, worker_id(), policy)
    inbox = services.partner_inbox
    period = timedelta(hours=settings.partner_reconcile_hours)
    jobs: list[tuple[str, Callable[[], Awaitable[object]]]] = []
    if Channel.CER in clients:  # the catalog's NFZ flags, kept mapped
        jobs.append(("map-nfz-services", partial(map_nfz_services, services.db, services.clock)))
    return [
        *jobs,
        ("pull-partner-notifications", PullAndApply(inbox, clients)),
        ("reconcile-partners", Reconciliation(sync, services.clock, period)),
        ("sync-partners", sync.run_once),
    ]
