"""How the fake Docplanner answers and reads: its media types, the `Error` body, a refusal
raised anywhere in a handler, and the checks of what a request carries (times, `with`
scopes, integers) with the document's messages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

SUCCESS = "application/vnd.docplanner+json; charset=UTF-8"
ERROR = "application/vnd.error+docplanner+json"
NOT_FOUND = "Object not found"
INVALID_DATE = "Invalid date given."


class Refused(Exception):
    """An error answer: its status, the `Error` message, and field errors."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error(self.status, self.message, self.headers, self.errors)


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": SUCCESS, **(headers or {})},
    )


def error(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> web.Response:
    """The `Error` body; a 401 as the OAuth layer writes it (`{"message"}`); a 429 bare, as
    the document has it."""
    if status == 429:
        return web.Response(status=status, headers=headers)
    body: dict[str, Any] = {"message": message}
    if status != 401:
        body = {"errors": errors or [], **body}
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": ERROR, **(headers or {})},
    )


def moment(text: str | None, name: str = "start") -> datetime:
    """A time the client sent: ISO 8601 with its offset (the document: every request has a
    time zone); a `+` sent unencoded in a query reads as a space, and fails here."""
    if not text:
        raise Refused(400, f'Param "{name}" is required!')
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(400, INVALID_DATE) from None
    if found.tzinfo is None:
        raise Refused(400, INVALID_DATE)
    return found


def scopes(request: web.Request, allowed: tuple[str, ...]) -> set[str]:
    """The `with` relations asked for (`with=a,b`); one the operation doesn't list is a 400."""
    asked = {s for raw in request.query.getall("with", []) for s in raw.split(",") if s}
    unknown = sorted(asked - set(allowed))
    if unknown:
        raise Refused(400, "Invalid arguments", [f"with: unknown scope {s}" for s in unknown])
    return asked


def integer(request: web.Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise Refused(400, "Invalid arguments", [f"{name}: must be an integer"]) from None


async def json_object(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    raw = await request.read()
    if not raw and not required:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise Refused(400, "Invalid arguments", ["body: not JSON"]) from None
    if not isinstance(body, dict):
        raise Refused(400, "Invalid arguments", ["body: not an object"])
    return body
