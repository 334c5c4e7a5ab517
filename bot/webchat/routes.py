"""GET /demo/chat, POST /demo/chat/send and GET /demo/chat/inbox: the web chat page,
its one action endpoint, and the desk's replies the open page fetches.

The page is server-rendered (jinja2, autoescaped) in the patient's language (`?lang=`,
else the browser's, else Polish), with a few lines of vanilla JS that put every reply in
with `textContent`; a per-response nonce Content-Security-Policy allows only that script
and style, and no other origin.
"""

from __future__ import annotations

import json
import secrets

import jinja2
from aiohttp import web

from bot.keys import DIALOG
from bot.notices import word
from bot.webchat.messages import (
    SESSION,
    InvalidMessage,
    chat_id,
    parse_message,
    reply_json,
    to_incoming,
)
from core.messaging.port import STAFF_REPLY, Outgoing
from core.schedule.feed import parse_slot_link
from core.vocab import Channel
from edge.errors import error_body
from edge.i18n import DEFAULT_LANGUAGE, LANGUAGES, accepted_language, pick_language
from edge.responses import json_response
from edge.templates import localized

MAX_MESSAGE_ID = 2**62

TEMPLATES = web.AppKey("webchat_templates", dict[str, jinja2.Environment])
INBOX_POLL_SECONDS = 5


def setup(app: web.Application) -> None:
    app[TEMPLATES] = {
        language: localized("bot", "webchat/templates", language) for language in LANGUAGES
    }
    app.router.add_get("/demo/chat", chat_page, name="webchat")
    app.router.add_post("/demo/chat/send", chat_send, name="webchat_send")
    app.router.add_get("/demo/chat/inbox", chat_inbox, name="webchat_inbox")


def page_language(request: web.Request) -> str:
    """`?lang=` (a link from the clinic's page), else the browser's, else Polish."""
    chosen = pick_language(request.query.get("lang"))
    accepted = accepted_language(request.headers.get("Accept-Language", ""))
    return chosen or accepted or DEFAULT_LANGUAGE


async def chat_page(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    language = page_language(request)
    router = request.app.router
    html = (
        request.app[TEMPLATES][language]
        .get_template("chat.html")
        .render(
            nonce=nonce,
            lang=language,
            send_url=router["webchat_send"].url_for().path,
            inbox_url=router["webchat_inbox"].url_for().path,
            poll_ms=INBOX_POLL_SECONDS * 1000,
            start=_slot_start(request.query.get("start")),
        )
    )
    return web.Response(text=html, content_type="text/html", headers=_page_headers(nonce))


async def chat_inbox(request: web.Request) -> web.Response:
    """The desk's replies to this chat after message `after`, worded like every channel's."""
    session, after = request.query.get("session", ""), request.query.get("after", "0")
    if not SESSION.fullmatch(session) or not (after.isascii() and after.isdigit()):
        body = error_body("invalid_message", "session and after are required", field="session")
        return json_response(body, status=400)
    language = pick_language(request.query.get("lang")) or DEFAULT_LANGUAGE
    replies = await request.app[DIALOG].services.escalation.desk_replies(
        Channel.WEB, chat_id(session), after=min(int(after), MAX_MESSAGE_ID)
    )
    return json_response(
        {
            "replies": [
                reply_json(word(Outgoing(STAFF_REPLY, language, message.text)))
                for message in replies
            ],
            "last": replies[-1].id if replies else int(after),
        }
    )


def _slot_start(value: str | None) -> str | None:
    """A free time's deep link from the clinic's page ("slot-..."), passed to the chat as
    its first message; anything else is ignored."""
    return value if value is not None and parse_slot_link(value) is not None else None


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
