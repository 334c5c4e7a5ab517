"""`/documents/open/{token}`: where a document link from the chat or an SMS leads.

The page asks for the second check (date of birth, or a code sent by SMS) and the
answer is posted back; a right one is answered with the PDF itself. Every answer of
this path, page or file or refusal, is private and not kept: `no-store`, no index, no
referrer, no framing; the file goes under a generic name, never the one it came with.
Refusals are pages in the patient's language that say what to do, never what the
document is; a dead link (forged, expired, used) reads the same whatever the cause.
"""

from __future__ import annotations

import logging
from datetime import date

from aiohttp import web

from core.documents.links import PATH, DocumentLinks, LinkView
from core.errors import AuthenticationFailed, Forbidden, InvalidInput, NotFound, Throttled
from edge.i18n import DEFAULT_LANGUAGE, LANGUAGES
from edge.responses import PRIVATE_HEADERS
from frontdesk import keys

log = logging.getLogger(__name__)

PRIVATE = PRIVATE_HEADERS


def setup_documents(app: web.Application) -> None:
    app.router.add_get(PATH, page, name="document_page")
    app.router.add_post(PATH, answer, name="document_answer")


def _links(request: web.Request) -> DocumentLinks:
    return request.app[keys.SERVICES].document_links


async def page(request: web.Request) -> web.Response:
    """The check's form, or the page of a dead link."""
    token = request.match_info["token"]
    try:
        view = await _links(request).look(token)
    except NotFound:
        return _render(request, DEFAULT_LANGUAGE, "gone", status=404)
    return _render(request, view.language, "check", view=view)


async def answer(request: web.Request) -> web.StreamResponse:
    """`action=code`: send a code by SMS; otherwise the check (`birth_date` or `code`)."""
    token = request.match_info["token"]
    links = _links(request)
    try:
        view = await links.look(token)
    except NotFound:
        return _render(request, DEFAULT_LANGUAGE, "gone", status=404)
    form = await request.post()
    action = form.get("action")
    try:
        if action == "code":
            await links.send_code(token)
            view = await links.look(token)
            return _render(request, view.language, "check", view=view, notice="sent")
        opened = await links.open(
            token, birth_date=_date(form.get("birth_date")), code=_text(form.get("code"))
        )
    except NotFound:
        return _render(request, view.language, "gone", status=404)
    except AuthenticationFailed:
        return _render(request, view.language, "check", view=view, notice="wrong", status=401)
    except Throttled:
        return _render(request, view.language, "throttled", status=429)
    except Forbidden:
        return _render(request, view.language, "no_consent", status=403)
    except InvalidInput:
        return _render(request, view.language, "check", view=view, notice="no_phone", status=400)
    log.info("document %s opened by link", opened.document.id)
    return web.Response(
        body=opened.content,
        content_type="application/pdf",
        headers={**PRIVATE, "Content-Disposition": 'inline; filename="document.pdf"'},
    )


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) > 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value[:20] if isinstance(value, str) and value.strip() else None


def _render(
    request: web.Request,
    language: str,
    state: str,
    *,
    view: LinkView | None = None,
    notice: str | None = None,
    status: int = 200,
) -> web.Response:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    html = (
        request.app[keys.PAGES][language]
        .get_template("document.html")
        .render(lang=language, state=state, view=view, notice=notice)
    )
    return web.Response(text=html, content_type="text/html", status=status, headers=PRIVATE)
