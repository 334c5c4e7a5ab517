"""GET /demo/chat and POST /demo/chat/send: the demo chat page and its one JSON endpoint.

The page is server-rendered (jinja2, autoescaped) with a few lines of
vanilla JS that put every reply in with `textContent`; a per-response nonce
Content-Security-Policy allows only that script and style, and no other origin.
"""

from __future__ import annotations

import json
import secrets

import jinja2
from aiohttp import web

from bot.keys import DIALOG
from bot.webchat.messages import InvalidMessage, parse_message, reply_json, to_incoming
from edge.errors import error_body
from edge.responses import json_response
from edge.templates import environment

TEMPLATES = web.AppKey("webchat_templates", jinja2.Environment)


def setup(app: web.Application) -> None:
    app[TEMPLATES] = environment("bot", "webchat/templates")
    app.router.add_get("/demo/chat", chat_page, name="webchat")
    app.router.add_post("/demo/chat/send", chat_send, name="webchat_send")


async def chat_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    html = (
        request.app[TEMPLATES]
        .get_template("chat.html")
        .render(nonce=nonce, send_url=request.app.router["webchat_send"].url_for().path)
    )
    return web.Response(text=html, content_type="text/html", headers=_page_headers(nonce))


async def chat_send(request: web.Request) -> web.Response:
    try:
        message = parse_message(json.loads(await request.read()))
    except (ValueError, RecursionError) as exc:  # bad JSON or encoding, or an InvalidMessage
        field = exc.field if isinstance(exc, InvalidMessage) else "body"
        text = exc.message if isinstance(exc, InvalidMessage) else "malformed JSON"
        return json_response(error_body("invalid_message", text, field=field), status=400)
    replies = await request.app[DIALOG].handle(to_incoming(message))
    return json_response([reply_json(reply) for reply in replies])


def _page_headers(nonce: str) -> dict[str, str]:
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
