"""GET /demo/phone and POST /demo/phone/step: "call" the clinic from a browser.

The page shows what the caller would hear and offers the keypad, a box for what they
would say, silence, and hanging up. Each step runs the very handler Twilio's webhook
would reach, in-process: the demo needs no Twilio account, and the signed webhooks
stay exactly as strict as they are.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import jinja2
from aiohttp import web

from edge.errors import error_body
from edge.responses import json_response
from edge.templates import environment
from ivr.handlers import ROUTES, answer
from ivr.inbound import EXTRAS, InvalidVoiceInput, parse_voice
from ivr.keys import IVR

TEMPLATES = web.AppKey("ivr_templates", jinja2.Environment)
DEMO_CLINIC_NUMBER = "+48222997700"
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}|anonymous")


def setup(app: web.Application) -> None:
    app[TEMPLATES] = environment("ivr")
    app.router.add_get("/demo/phone", phone_page, name="demo_phone")
    app.router.add_post("/demo/phone/step", phone_step, name="demo_phone_step")


async def phone_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    html = (
        request.app[TEMPLATES]
        .get_template("phone.html")
        .render(
            nonce=nonce,
            step_url=request.app.router["demo_phone_step"].url_for().path,
            clinic_number=DEMO_CLINIC_NUMBER,
        )
    )
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return web.Response(text=html, content_type="text/html", headers=headers)


def _bad(field: str, message: str) -> web.Response:
    return json_response(error_body("invalid_step", message, field=field), status=400)


async def phone_step(request: web.Request) -> web.Response:
    """One webhook as Twilio would send it: `{"url", "call", "from", "digits", "speech",
    "fields"}` in, the TwiML and its verbs (for the page to act on) out."""
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):
        return _bad("body", "malformed JSON")
    if not isinstance(body, dict):
        return _bad("body", "an object is expected")
    url = body.get("url")
    parts = urlsplit(url) if isinstance(url, str) and len(url) <= 200 else None
    handler = ROUTES.get(parts.path) if parts else None
    if parts is None or handler is None:
        return _bad("url", "not a voice webhook")
    caller = body.get("from", "")
    if not isinstance(caller, str) or not _NUMBER.fullmatch(caller):
        return _bad("from", "a number like +48601234501, or anonymous")
    fields = body.get("fields") or {}
    if not isinstance(fields, dict):
        return _bad("fields", "an object is expected")
    form = {
        "CallSid": body.get("call"),
        "From": caller,
        "To": DEMO_CLINIC_NUMBER,
        "Digits": body.get("digits") or "",
        "SpeechResult": body.get("speech") or "",
        **{k: str(v) for k, v in fields.items() if k in EXTRAS},
    }
    try:
        voice = parse_voice(
            {k: v for k, v in form.items() if isinstance(v, str)}, dict(parse_qsl(parts.query))
        )
    except InvalidVoiceInput as exc:
        return _bad(exc.field, str(exc))
    xml = await answer(request.app[IVR], handler, voice)
    return json_response({"xml": xml, "verbs": verbs(xml)})


def verbs(xml: str) -> list[dict[str, Any]]:
    """The TwiML's verbs as the page plays them: what is said, what is asked, where next."""
    found: list[dict[str, Any]] = []
    for verb in ElementTree.fromstring(xml):  # noqa: S314 (our own TwiML, never a caller's)
        entry: dict[str, Any] = {"verb": verb.tag, **verb.attrib}
        if verb.tag == "Say":
            entry["text"] = verb.text or ""
        elif verb.tag == "Gather":
            entry["say"] = [s.text or "" for s in verb if s.tag == "Say"]
        elif verb.tag in ("Enqueue", "Redirect"):
            entry["text"] = verb.text or ""
        found.append(entry)
    return found
