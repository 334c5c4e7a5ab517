"""Every answer under `/fhir` that is not a success is an OperationOutcome: a domain
error with its status (edge/errors.py's table), aiohttp's own refusals (no route, wrong
method, a body over the limit), and anything unforeseen as a bare 500 logged here. The
message is the error's own, which never quotes what was sent."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from core.errors import DomainError
from edge.errors import status_of
from frontdesk.fhir.read import UnsupportedMedia
from frontdesk.fhir.render import outcome

log = logging.getLogger(__name__)

PREFIX = "/fhir"
MEDIA_TYPE = "application/fhir+json"


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=MEDIA_TYPE,
        charset="utf-8",
        headers=headers,
    )


def _is_fhir(request: web.Request) -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@web.middleware
async def fhir_outcomes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For `/fhir` paths only: what is raised, answered as an OperationOutcome."""
    if not _is_fhir(request):
        return await handler(request)
    try:
        return await handler(request)
    except DomainError as error:
        status = 415 if isinstance(error, UnsupportedMedia) else status_of(error)
        field = error.details.get("field")
        headers = {"WWW-Authenticate": 'Bearer realm="frontdesk-fhir"'} if status == 401 else None
        body = outcome(status, error.code, error.message, str(field) if field else None)
        return fhir_response(body, status, headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = exc.headers.get("Allow")
        body = outcome(exc.status, f"http_{exc.status}", exc.reason)
        return fhir_response(body, exc.status, {"Allow": allow} if allow else None)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.rel_url.path)
        return fhir_response(outcome(500, "internal_error", "internal server error"), 500)
