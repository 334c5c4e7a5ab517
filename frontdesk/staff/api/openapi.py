"""The staff API's operations, declared once with their pydantic models: the same
declaration validates each request, serializes each response and writes the
OpenAPI 3.1 document (`/api/v1/openapi.json`).

A small module over pydantic's own JSON Schema output instead of a framework
plugin: the schema comes from the models the handlers really use, and nothing
about aiohttp's routing changes.
"""

from __future__ import annotations

import json
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from core.desk.scope import StaffScope
from core.errors import InvalidInput
from core.vocab import StaffRole
from edge.errors import allow_body
from edge.responses import json_response
from frontdesk.staff.auth import require

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL
ALL_ROLES = tuple(StaffRole)
DESK = (StaffRole.ADMIN, StaffRole.REGISTRAR)
ADMIN = (StaffRole.ADMIN,)

M = TypeVar("M", bound=BaseModel)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    reason: str | None = None
    booking_id: str | None = Field(default=None, description="already_booked: the visit held")
    start_at: str | None = Field(default=None, description="already_booked: when it is")


class ErrorBody(BaseModel):
    """Every error: a stable `code` to branch on and a human `message`."""

    error: ErrorDetail


@dataclass(frozen=True)
class Call:
    """One validated request: who asks (their scope), its path ids and names, query and
    body."""

    request: web.Request
    scope: StaffScope
    ids: dict[str, int]
    query: BaseModel | None
    body: BaseModel | None
    names: dict[str, str] = field(default_factory=dict)

    def query_as(self, model: type[M]) -> M:
        assert isinstance(self.query, model)
        return self.query

    def body_as(self, model: type[M]) -> M:
        assert isinstance(self.body, model)
        return self.body


Handler = Callable[[Call], Awaitable[BaseModel | None]]

_ERRORS = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Role or scope does not allow this",
    404: "Not found (or outside your scope)",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below PREFIX, e.g. "/bookings/{booking_id}"
    handler: Handler
    summary: str
    tag: str
    roles: tuple[StaffRole, ...]
    response: type[BaseModel] | None  # None: 204 No Content
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()  # domain errors beyond 400/401/403/404 (409, 410, 422, 429)
    # Path parameters that are names, not ids, with the names the document lists; the
    # handler's service refuses any other with 404 (`/partners/{partner}/...`).
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    token_scope: str | None = None  # a narrowed token's scope this operation also admits
    max_body_bytes: int | None = None  # an upload's body, over the app's limit

    @property
    def path_ids(self) -> list[str]:
        return [name for name in self.path_parameters if name not in self.names]

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


@dataclass
class Api:
    """The registry of operations; `route` declares one, `setup` mounts them all."""

    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        response: type[BaseModel] | None,
        roles: tuple[StaffRole, ...] = ALL_ROLES,
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        names: dict[str, tuple[str, ...]] | None = None,
        token_scope: str | None = None,
        max_body_bytes: int | None = None,
    ) -> Callable[[Handler], Handler]:
        def declare(handler: Handler) -> Handler:
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=tag,
                    roles=roles,
                    response=response,
                    query=query,
                    body=body,
                    status=status,
                    errors=errors,
                    names=names or {},
                    token_scope=token_scope,
                    max_body_bytes=max_body_bytes,
                )
            )
            return handler

        return declare

    def setup(self, app: web.Application) -> None:
        for operation in self.operations:
            app.router.add_route(
                operation.method,
                PREFIX + operation.path,
                _endpoint(operation),
                name=f"api-{operation.operation_id}",
            )
        document = openapi_document(self.operations)

        async def serve_document(_request: web.Request) -> web.Response:
            return json_response(document)

        app.router.add_get(PREFIX + "/openapi.json", serve_document, name="api-openapi")


def _endpoint(operation: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        scope = await require(request, *operation.roles, token_scope=operation.token_scope)
        call = Call(
            request=request,
            scope=scope,
            ids={name: _path_id(request, name) for name in operation.path_ids},
            query=_parse_query(request, operation.query) if operation.query else None,
            body=await _parse_body(request, operation.body) if operation.body else None,
            names={name: request.match_info[name] for name in operation.names},
        )
        result = await operation.handler(call)
        if result is None:
            return web.Response(status=204)
        return json_response(result.model_dump(mode="json"), status=operation.status)

    endpoint.__name__ = operation.operation_id
    if operation.max_body_bytes is not None:
        allow_body(endpoint, operation.max_body_bytes)
    return endpoint


def _path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or not 1 <= int(raw) <= MAX_ID:
        raise web.HTTPNotFound()
    return int(raw)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return get_origin(annotation) is list


def _parse_query(request: web.Request, model: type[M]) -> M:
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        values = request.query.getall(name, [])
        if values:
            raw[name] = values if _is_list(info.annotation) else values[-1]
    return _validated(model, raw)


async def _parse_body(request: web.Request, model: type[M]) -> M:
    if request.content_type != "application/json":
        raise InvalidInput("send the body as application/json")
    try:
        data = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("the body is not valid JSON") from None
    return _validated(model, data)


def _validated(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


# -- the document ----------------------------------------------------------------------


def openapi_document(operations: list[Operation]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for op in operations:
        models.update(m for m in (op.response, op.body, op.query) if m is not None)
    modes: tuple[JsonSchemaMode, ...] = ("validation", "serialization")
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, mode) for m in sorted(models, key=lambda m: m.__name__) for mode in modes
    ]
    refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
            "description": "Roles: "
            + ", ".join(r.value for r in op.roles)
            + "."
            + (f" Tokens narrowed to `{op.token_scope}` too." if op.token_scope else ""),
            "parameters": _path_parameters(op) + _query_parameters(op, defs),
            "responses": _responses(op, refs),
        }
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "frontdesk staff API",
            "version": "1",
            "description": (
                "The registration desk's API. Authenticate with `Authorization: Bearer "
                "<token>` (tokens from POST /api/v1/me/tokens) or the dashboard's session "
                "cookie plus an `X-CSRF-Token` header on unsafe methods. Lists are pages: "
                "`limit` and `offset` in, `items` and `has_more` out."
            ),
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "frontdesk_staff"},
            },
        },
    }


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": (
                {"type": "string", "enum": list(op.names[name])}
                if name in op.names
                else {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            ),
        }
        for name in op.path_parameters
    ]


def _query_parameters(op: Operation, defs: dict[str, Any]) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _not_null(prop),
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        if _is_list(op.query.model_fields[name].annotation):
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: `null` cannot be sent in a query string."""
    schema = {k: v for k, v in prop.items() if k not in ("title", "description")}
    options = [o for o in schema.pop("anyOf", []) if o != {"type": "null"}]
    if schema.get("default", 0) is None:
        del schema["default"]
    if len(options) == 1:
        schema |= options[0]
    elif options:
        schema["anyOf"] = options
    return schema


def _responses(op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is None:
        responses["204"] = {"description": "Done"}
    else:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
        }
    error = {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}
    for status in sorted({400, 401, 403, 404, *op.errors}):
        responses[str(status)] = {"description": _ERRORS.get(status, "Refused"), "content": error}
    return responses
