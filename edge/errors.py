"""HTTP errors in one place: domain errors become statuses with stable codes, the rest 500.

Every error body is `{"error": {"code": ..., "message": ...}}`. Unknown
exceptions are logged here with their traceback and answered with a bare
500: no exception text, no internals.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from core.documents.links import PATH as DOCUMENT_PATH
from core.errors import (
    AlreadyBooked,
    AuthenticationFailed,
    BookingLinkInvalid,
    DomainError,
    EmailInvalid,
    EReferralInvalid,
    Forbidden,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    NotFound,
    OfferGone,
    OutsideAvailability,
    PeselInvalid,
    PhoneInvalid,
    RestrictionViolated,
    ScheduleInvalid,
    SlotTaken,
    Throttled,
)
from core.messaging.link_tokens import PATH as LINK_PATH
from edge.responses import json_response

log = logging.getLogger(__name__)
DOCUMENT_LINK_PATH = DOCUMENT_PATH.removesuffix("{token}")
FHIR_HOLD_PATH = "/fhir/Appointment/hold-"

# The most specific class in an error's MRO decides; anything else of the domain is 422.
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    InvalidInput: 400,
    PeselInvalid: 400,
    EReferralInvalid: 400,
    PhoneInvalid: 400,
    EmailInvalid: 400,
    ScheduleInvalid: 422,
    RestrictionViolated: 422,
    NotEligible: 422,
    OutsideAvailability: 422,
    SlotTaken: 409,
    AlreadyBooked: 409,
    InvalidTransition: 409,
    HoldExpired: 410,
    OfferGone: 410,
    BookingLinkInvalid: 410,
    AuthenticationFailed: 401,
    Forbidden: 403,
    Throttled: 429,
}
DEFAULT_DOMAIN_STATUS = 422

# Details safe to show a client: stable words, never a patient's data.
_PUBLIC_DETAILS = ("field", "reason", "booking_id", "start_at")  # the visit already held

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


MAX_BODY_ATTRIBUTE = "max_body_bytes"


class InvalidParameter(InvalidInput):
    """A query parameter a view could not accept (the face's own input check)."""

    code = "invalid_parameter"


class MissingParameter(InvalidInput):
    code = "missing_parameter"


def status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return DEFAULT_DOMAIN_STATUS


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def domain_error_response(error: DomainError) -> web.Response:
    details = {k: str(error.details[k]) for k in _PUBLIC_DETAILS if k in error.details}
    status = status_of(error)
    headers = {"WWW-Authenticate": 'Bearer realm="frontdesk"'} if status == 401 else None
    return json_response(
        error_body(error.code, error.message, **details), status=status, headers=headers
    )


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate what a handler raises into one JSON error shape."""
    try:
        return await handler(request)
    except DomainError as error:
        return domain_error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, f"http_{exc.status}")
        return json_response(error_body(code, exc.reason), status=exc.status, headers=_allow(exc))
    except Exception:
        log.exception("unhandled error in %s %s", request.method, loggable_path(request.path))
        return json_response(error_body("internal_error", "internal server error"), status=500)


def _allow(exc: web.HTTPException) -> dict[str, str]:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else {}


@web.middleware
async def body_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a declared oversized body before any handler or route runs.

    `client_max_size` only bites when a handler reads the body; this answers
    413 at once for every route, whatever its method.
    """
    larger = getattr(request.match_info.handler, MAX_BODY_ATTRIBUTE, None)
    if isinstance(larger, int) and larger > request.client_max_size:
        request = request.clone(client_max_size=larger)  # an upload route's own limit
    declared = request.content_length
    if declared is not None and declared > request.client_max_size:
        raise web.HTTPRequestEntityTooLarge(max_size=request.client_max_size, actual_size=declared)
    return await handler(request)


def loggable_path(path: str) -> str:
    """A path as a log may show it: the token of a booking link, a document link or a
    partner's hold (the FHIR API's `Appointment/hold-<token>`) left out."""
    for secret in (LINK_PATH, DOCUMENT_LINK_PATH, FHIR_HOLD_PATH):
        if path.startswith(secret):
            return secret + "…"
    return path


def allow_body(handler: Handler, max_bytes: int) -> Handler:
    """Let `handler`'s route take bodies up to `max_bytes` (an upload), over the app's limit."""
    setattr(handler, MAX_BODY_ATTRIBUTE, max_bytes)
    return handler
