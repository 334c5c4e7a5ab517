"""The composition root: the one aiohttp app factory.

`create_app` builds nothing that does I/O; the engine, the services and the
optional in-process worker are created when the app starts (`cleanup_ctx`)
and disposed when it stops, in reverse order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot import keys as bot_keys
from bot.dialog import Dialog
from bot.web import setup_bot
from core.clock import Clock, SystemClock
from core.db.database import Database
from edge.errors import body_limit_middleware, errors_middleware
from edge.forwarded import forwarded_middleware, networks
from edge.twilio_rest import RetryPolicy
from frontdesk import keys
from frontdesk.delivery import open_senders
from frontdesk.document_codes import SmsCodes
from frontdesk.faces import ivr_policy, telegram_config, twilio_ctx, voice_config
from frontdesk.fhir.outcome import fhir_outcomes
from frontdesk.fhir.routes import setup_fhir
from frontdesk.instruments import Instruments, TimedSlotSearch
from frontdesk.logs import hide_refused_requests, request_id_middleware
from frontdesk.metrics import INSTRUMENTS, setup_metrics, webhook_timing
from frontdesk.partners import PARTNERS, docplanner_gate, partners_ctx
from frontdesk.public.routes import setup_public
from frontdesk.public.smart import SMART_FEED, SmartFeed
from frontdesk.services import build_services
from frontdesk.settings import Settings
from frontdesk.staff.routes import setup_staff
from frontdesk.worker import Worker, default_jobs
from ivr.flow import Ivr
from ivr.keys import IVR, SMS_REPLIES
from ivr.routes import setup as setup_ivr
from ivr.sms import SmsConfirmations
from ivr.turn import Confirmations
from partners import docplanner_push as partner_web

log = logging.getLogger(__name__)

# Nothing a patient or partner sends us is bigger; a larger body is refused with 413.
MAX_BODY_BYTES = 64 * 1024
# How long shutdown waits for a pass of the in-process jobs to finish.
WORKER_GRACE_SECONDS = 30.0


def create_app(
    settings: Settings, *, clock: Clock | None = None, with_worker: bool = False
) -> web.Application:
    """The web app over the database of `settings`.

    `with_worker` runs the background jobs inside this process too (the
    `serve` command does so when RUN_WORKER_IN_PROCESS is true).
    """
    hide_refused_requests()  # aiohttp's parser errors quote the request they refuse
    instruments = Instruments()
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[
            request_id_middleware,
            forwarded_middleware(networks(settings.trusted_proxies)),
            webhook_timing(instruments),
            errors_middleware,
            fhir_outcomes,  # inside the JSON errors: /fhir answers OperationOutcomes
            body_limit_middleware,
        ],
    )
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = clock or SystemClock()
    app[keys.TWILIO_RETRY] = RetryPolicy()
    setup_public(app)
    setup_metrics(app, settings, instruments)
    setup_staff(app)
    setup_fhir(app)
    setup_bot(app, telegram_config(settings), settings.public_base_url, demo=settings.demo)
    setup_ivr(app, voice_config(settings), with_demo=settings.demo)
    partner_web.setup_partner_routes(app, docplanner_gate(settings))
    app.cleanup_ctx.append(partners_ctx)
    app.cleanup_ctx.append(twilio_ctx)
    app.cleanup_ctx.append(_services_ctx)
    if with_worker:
        app.cleanup_ctx.append(_worker_ctx)
    return app


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    db = Database.from_url(settings.database_url)
    partners = app[PARTNERS]
    services = build_services(
        db, app[keys.CLOCK], settings, partners.eligibility(db), partners.sync
    )
    timed = TimedSlotSearch(services.search, app[INSTRUMENTS].search_seconds)
    services = dataclasses.replace(services, search=timed)
    app[keys.SERVICES] = services
    app[bot_keys.DIALOG] = Dialog(services.bot())
    app[partner_web.INBOX] = services.partner_inbox
    app[SMART_FEED] = SmartFeed(
        services.feed, settings.smart_feed_days, settings.telegram_bot_username
    )
    sms = app.get(keys.TWILIO_SMS)
    if sms is not None:
        services.document_links.sender = SmsCodes(sms)
    confirmations = (
        SmsConfirmations(sms, services.catalog, services.booking) if sms else Confirmations()
    )
    app[IVR] = Ivr(services.voice(ivr_policy(settings), confirmations))
    if services.sms_replies is not None:
        app[SMS_REPLIES] = services.sms_replies
    log.info("database: %s", settings.safe_database_url)
    try:
        yield
    finally:
        if isinstance(confirmations, SmsConfirmations):
            await confirmations.drain()
        await db.dispose()


async def _worker_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    services = app[keys.SERVICES]
    async with open_senders(settings, services) as senders:
        worker = Worker(
            default_jobs(services, settings, senders, app[PARTNERS].sync),
            interval=settings.worker_interval_seconds,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop), name="frontdesk-worker")
        log.info("background jobs run in this process every %ss", settings.worker_interval_seconds)
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=WORKER_GRACE_SECONDS)
            except TimeoutError:
                log.warning(
                    "background jobs did not finish in %ss: cancelled", WORKER_GRACE_SECONDS
                )
