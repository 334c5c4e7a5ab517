"""POST /twilio/voice*: Twilio's voice webhooks in, TwiML out.

Order of checks, for every path: configured (TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL, else
404), signed by Twilio over the public URL and the form (else 403, nothing read or
stored), well-formed (else 400). A failure inside the flow is logged and the caller
hears an apology rather than Twilio's "application error".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.whatsapp.routes import TWILIO_SMS
from core.calls.store import Callers
from edge.i18n import LANGUAGES, translations
from edge.twilio_signature import SIGNATURE_HEADER, form_params, is_signed, public_url
from frontdesk.keys import SERVICES, SETTINGS
from frontdesk.settings import Settings
from ivr import demo
from ivr.directory import CachedCatalog
from ivr.flow import Ivr
from ivr.handlers import ROUTES, Handler, answer
from ivr.inbound import InvalidVoiceInput, parse_voice
from ivr.keys import IVR
from ivr.sms import SmsConfirmations
from ivr.turn import Confirmations, IvrPolicy, IvrServices

log = logging.getLogger(__name__)


def setup(app: web.Application) -> None:
    """The webhooks, the demo phone, and the flow's services (after the core's are built:
    call it after the app's services context is registered)."""
    for path, handler in ROUTES.items():
        app.router.add_post(path, _webhook(handler))
    demo.setup(app)
    app.cleanup_ctx.append(_ivr_ctx)


def policy_of(settings: Settings) -> IvrPolicy:
    return IvrPolicy(
        languages=dict(settings.ivr_languages),
        callback_offer_after=timedelta(seconds=settings.ivr_callback_offer_seconds),
    )


async def _ivr_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    db, clock = services.db, services.clock
    for language in LANGUAGES:  # read the catalogs now, not during the first call
        translations(language)
    sms = app.get(TWILIO_SMS)
    confirmations = (
        SmsConfirmations(sms, services.catalog, services.booking) if sms else Confirmations()
    )
    app[IVR] = Ivr(
        IvrServices(
            clock=clock,
            catalog=CachedCatalog(db),
            search=services.search,
            booking=services.booking,
            patients=services.patients,
            calls=services.calls,
            callers=Callers(db, clock),
            callbacks=services.callbacks,
            tasks=services.tasks,
            policy=policy_of(app[SETTINGS]),
            confirmations=confirmations,
        )
    )
    try:
        yield
    finally:
        if isinstance(confirmations, SmsConfirmations):
            await confirmations.drain()


def _webhook(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def webhook(request: web.Request) -> web.Response:
        settings = request.app[SETTINGS]
        token, public = settings.twilio_auth_token, settings.public_base_url
        if not token or not public:
            raise web.HTTPNotFound()
        try:
            form = form_params((await request.post()).items())
        except (ValueError, LookupError):  # undecodable or an unknown charset: not from Twilio
            raise web.HTTPBadRequest(reason="malformed form") from None
        url = public_url(public, request.path_qs)
        if not is_signed(token, url, form, request.headers.get(SIGNATURE_HEADER)):
            log.warning("voice webhook refused: missing or wrong signature")
            raise web.HTTPForbidden()
        try:
            voice = parse_voice(form, request.query)
        except InvalidVoiceInput as exc:
            raise web.HTTPBadRequest(reason=str(exc)) from None
        return twiml(await answer(request.app[IVR], handler, voice))

    return webhook


def twiml(xml: str) -> web.Response:
    return web.Response(text=xml, content_type="text/xml")
