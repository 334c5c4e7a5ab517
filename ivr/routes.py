"""POST /twilio/voice*: Twilio's voice webhooks in, TwiML out (and POST /twilio/sms, the
text messages to the same numbers: `ivr.texting`).

Order of checks, for every path: configured (TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL, else
404), signed by Twilio over the public URL and the form (else 403, nothing read or
stored), well-formed (else 400). A failure inside the flow is logged and the caller
hears an apology rather than Twilio's "application error".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from edge.i18n import LANGUAGES, translations
from edge.twilio_signature import SIGNATURE_HEADER, form_params, is_signed, public_url
from ivr import demo, texting
from ivr.handlers import ROUTES, Handler, answer
from ivr.inbound import InvalidVoiceInput, parse_voice
from ivr.keys import IVR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceConfig:
    """What the root tells the voice face: Twilio's auth token, which signs every webhook,
    and the public address Twilio calls (the signature covers it). Off while either is
    missing. The flow itself (`ivr.flow.Ivr`, under `IVR`) is built by the root too."""

    auth_token: str | None = None
    public_base_url: str | None = None


def setup(app: web.Application, config: VoiceConfig, *, with_demo: bool = False) -> None:
    """The webhooks, and the demo phone (any caller ID, unsigned) only `with_demo`; the
    catalogs of every language are read at start, not during the first call."""
    for path, handler in ROUTES.items():
        app.router.add_post(path, _webhook(handler, config))
    texting.setup(app, config.auth_token, config.public_base_url)
    if with_demo:
        demo.setup(app)
    app.on_startup.append(_read_catalogs)


async def _read_catalogs(app: web.Application) -> None:
    for language in LANGUAGES:
        translations(language)


def _webhook(
    handler: Handler, config: VoiceConfig
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def webhook(request: web.Request) -> web.Response:
        token, public = config.auth_token, config.public_base_url
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
