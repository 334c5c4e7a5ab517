"""The contract check: each HTTP exchange with a fake Docplanner, and each notification
body, held against Docplanner's published OpenAPI document (the excerpt beside this file),
with openapi-core (requests and responses) and openapi-schema-validator (the callbacks'
bodies).

What it holds an exchange to:
- the path and method are one of the document's operations (the push path is ours, not
  Docplanner's: a request to it is a violation too);
- the request: path and query parameters, the body's media type and schema;
- the answer: its status documented for the operation (400, 401, 429 and 5xx are
  documented for every operation by the document's Fundamentals: their body, if any, an
  `Error`), its content type, its body's schema (none where the document has none);
  every notification a pull hands out held to its callback's schema; the `X-RateLimit-*`
  headers all there when any is, `-Reset` an ISO 8601 date;
- the OAuth token exchange, which the document states in the oauth2 scheme's prose:
  `grant_type=client_credentials` as a form, the client in HTTP Basic or form fields, an
  answer with `access_token`, `expires_in`, `token_type`.
Notification bodies are held to their callback's request schema.
Every object schema that names its properties is read CLOSED (`additionalProperties:
false`): a field the document doesn't name is a violation, in a request (a misspelt field,
which a real API refuses or ignores) as in an answer or a notification (a field the fake
invented is one our adapter could come to rely on: the misreading issue 15 was about).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

from testkit.fakes.docplanner.wire import Exchange

SPEC = Path(__file__).with_name("docplanner-integrations-1.14.yml")
HOST = "https://www.znanylekarz.pl"  # the document's server, https://www.{domain}
API = "/api/v3/integration"
TOKEN_PATH = "/oauth/v2/token"
PUSH_OPERATION = "Push Notifications"
# Statuses the document's Fundamentals give every operation: a validation error, the OAuth
# token refused, the rate limit (and 5xx); 403, 404, 409 and 422 are each operation's own.
EVERYWHERE = {400, 401, 429}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used",
                "X-RateLimit-Reset")  # fmt: skip
URN = "urn:docplanner-integrations"
JSON_KINDS = ("application/vnd.docplanner+json", "application/vnd.error+docplanner+json")


@dataclass(frozen=True)
class Violation:
    operation: str
    problem: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.problem}"


class _Bearer(BaseProvider):
    """The oauth2 scheme as it reaches the API: `Authorization: Bearer <token>`."""

    def __call__(self, parameters: RequestParameters) -> Any:
        auth = parameters.header.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise SecurityProviderError("no `Authorization: Bearer <token>`")
        return auth[7:]


def _security() -> SecurityProviderFactory:
    """openapi-core's providers, and one for oauth2 (which it leaves unchecked)."""
    factory = SecurityProviderFactory()
    factory.PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _Bearer}
    return factory


@dataclass
class _Request:
    """An exchange's request as openapi-core reads it."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def closed(node: Any) -> Any:
    """The document with every object schema that names its properties closed to others."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: closed(value) for key, value in node.items()}
    if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@cache
def contract() -> DocplannerContract:
    """The check, read once a run."""
    return DocplannerContract(yaml.safe_load(SPEC.read_text()))


class DocplannerContract:
    def __init__(self, document: dict[str, Any]) -> None:
        config = Config(
            security_provider_factory=_security(),
            extra_media_type_deserializers=dict.fromkeys(JSON_KINDS, _json),
        )
        self.document = document
        self.api = OpenAPI.from_dict(closed(copy.deepcopy(document)), config=config)
        self.finder = APICallPathFinder(self.api.spec)
        self.registry: Registry[Any] = Registry().with_resource(
            URN, Resource.from_contents(closed(copy.deepcopy(document)), DRAFT4)
        )
        push = document["paths"]["/{client-endpoint-url}"]["post"]["callbacks"]
        self.callbacks: dict[str, dict[str, Any]] = {
            name: operation["post"]["requestBody"]["content"]["application/json"]["schema"]
            for callback in push.values()
            for name, operation in callback.items()
        }

    # -- notifications ---------------------------------------------------------------

    def check_notification(self, body: Any, where: str = "notification") -> list[Violation]:
        name = body.get("name") if isinstance(body, Mapping) else None
        schema = self.callbacks.get(name) if isinstance(name, str) else None
        if schema is None:
            return [Violation(where, f"no callback of the document is named {name!r}")]
        operation = f"{where} {name}"
        return [
            Violation(operation, f"at {_at(e.absolute_path)}: {e.message}")
            for e in self._validator(schema).iter_errors(body)
        ]

    def _validator(self, schema: dict[str, Any]) -> OAS30Validator:
        ref = {"$ref": URN + schema["$ref"]}
        return OAS30Validator(
            ref, registry=self.registry, format_checker=OAS30Validator.FORMAT_CHECKER
        )

    # -- exchanges ---------------------------------------------------------------------

    def check_exchange(self, exchange: Exchange) -> list[Violation]:
        if exchange.path == TOKEN_PATH:
            return list(self._token(exchange))
        where = f"{exchange.method} {exchange.path}"
        if not exchange.path.startswith(API + "/"):
            return [Violation(where, "not a path of the Integrations API")]
        try:
            found = self.finder.find(exchange.method.lower(), HOST + exchange.path)
        except PathError as exc:
            return [Violation(where, f"no operation of the document: {exc}")]
        operation = found.operation
        name = (operation / "operationId").read_str()
        if name == PUSH_OPERATION:
            return [Violation(where, "the push path is the client's, not Docplanner's")]
        request = self._request(exchange)
        problems = [f"request: {_explain(e)}" for e in self.api.unmarshal_request(request).errors]
        if exchange.body and "requestBody" not in operation:
            problems.append("request: a body where the operation takes none")
        problems.extend(self._response(exchange, request, operation, name))
        return [Violation(f"{name} ({where})", p) for p in problems]

    def _request(self, exchange: Exchange) -> _Request:
        return _Request(
            host_url=HOST,
            path=exchange.path,
            method=exchange.method.lower(),
            body=exchange.body or None,
            content_type=exchange.content_type.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(exchange.query)),
                header=Headers(dict(exchange.headers)),
                cookie=ImmutableMultiDict(),
            ),
        )

    def _response(
        self, exchange: Exchange, request: _Request, operation: Any, name: str
    ) -> Iterator[str]:
        yield from _rate_headers(exchange)
        status = exchange.status
        responses: dict[str, Any] = (operation / "responses").read_value()
        documented = {str(code) for code in responses}
        generic = status in EVERYWHERE or status >= 500
        if str(status) not in documented and not generic:
            yield f"answer {status}: not a status the document gives {name} ({sorted(documented)})"
            return
        if str(status) not in documented:
            yield from self._error_body(exchange)
            return
        keys = list(responses[str(status)].get("content", {}))
        given = exchange.response_content_type
        if not keys:
            if exchange.response_body:
                yield f"answer {status}: a body where the document has none"
            return
        key = next((k for k in keys if _same_media_type(k, given)), None)
        if key is None:
            yield f"answer {status}: content type {given!r}, the document says {keys}"
            return
        response = _Response(status, key, Headers(dict(exchange.response_headers)),
                             exchange.response_body)  # fmt: skip
        for e in self.api.unmarshal_response(request, response).errors:
            yield f"answer {status}: {_explain(e)}"
        if name == "Pull Multiple Notification" and status == 200:
            pulled = json.loads(exchange.response_body).get("notifications") or []
            for body in pulled:
                for v in self.check_notification(body, "pulled"):
                    yield str(v)

    def _error_body(self, exchange: Exchange) -> Iterator[str]:
        if not exchange.response_body:
            return
        if not _same_media_type("application/vnd.error+docplanner+json",
                                exchange.response_content_type):  # fmt: skip
            yield f"answer {exchange.status}: content type {exchange.response_content_type!r}"
            return
        body = json.loads(exchange.response_body)
        for e in self._validator({"$ref": "#/components/schemas/Error"}).iter_errors(body):
            yield f"answer {exchange.status}: Error body at {_at(e.absolute_path)}: {e.message}"

    def _token(self, exchange: Exchange) -> Iterator[Violation]:
        """The oauth2 scheme's token endpoint, as its description in the document shows."""
        where = f"token ({exchange.method} {exchange.path})"
        if exchange.method != "POST":
            yield Violation(where, "the token is asked for with POST")
            return
        if not exchange.content_type.startswith("application/x-www-form-urlencoded"):
            yield Violation(where, f"request: a form is sent, not {exchange.content_type!r}")
            return
        form = parse_qs(exchange.body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            yield Violation(where, "request: grant_type=client_credentials is required")
        basic = exchange.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                base64.b64decode(basic[6:], validate=True).decode().index(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                yield Violation(where, "request: HTTP Basic is not client_id:client_secret")
        elif not (form.get("client_id") and form.get("client_secret")):
            yield Violation(where, "request: no client credentials (Basic or form fields)")
        if exchange.status == 200:
            answer = json.loads(exchange.response_body)
            if not (isinstance(answer.get("access_token"), str)
                    and isinstance(answer.get("expires_in"), int)
                    and str(answer.get("token_type")).lower() == "bearer"):  # fmt: skip
                yield Violation(where, f"answer: not a bearer token with expires_in: {answer}")
        else:
            for problem in self._error_body(exchange):
                yield Violation(where, problem)


def _rate_headers(exchange: Exchange) -> Iterator[str]:
    present = [h for h in RATE_HEADERS if h in exchange.response_headers]
    if present and len(present) != len(RATE_HEADERS):
        yield f"answer: rate limit headers {present}, the document has all of {RATE_HEADERS}"
    reset = exchange.response_headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            datetime.fromisoformat(reset)
        except ValueError:
            yield f"answer: X-RateLimit-Reset {reset!r} is not an ISO 8601 date"


def _json(value: bytes | str, **_parameters: str) -> Any:
    return json.loads(value)


def _same_media_type(documented: str, given: str) -> bool:
    """Media types equal as RFC 9110 says: type and parameter names, and a charset, are
    case-insensitive; a documented charset must be there."""

    def parse(value: str) -> tuple[str, dict[str, str]]:
        kind, *params = (p.strip() for p in value.split(";"))
        pairs = (p.partition("=") for p in params if p)
        return kind.lower(), {k.strip().lower(): v.strip().strip('"').lower() for k, _, v in pairs}

    want, given_ = parse(documented), parse(given)
    return want[0] == given_[0] and all(given_[1].get(k) == v for k, v in want[1].items())


def _explain(error: Exception) -> str:
    cause = error.__cause__
    details = [str(e.message) for e in getattr(cause, "schema_errors", ())]
    text = f"{type(error).__name__}: {error}"
    if cause is not None and not details:
        text += f" ({cause})"
    return text + "".join(f"; {d}" for d in details)


def _at(path: Any) -> str:
    return "/".join(str(p) for p in path) or "(top)"


@dataclass
class ContractWatch:
    """An observer of fake Docplanners (testkit.fakes.docplanner.wire.Observer) that keeps
    every violation, for a test to fail on at its end."""

    check: DocplannerContract = field(default_factory=contract)
    violations: list[Violation] = field(default_factory=list)

    def exchange(self, exchange: Exchange) -> None:
        self.violations.extend(self.check.check_exchange(exchange))

    def notification(self, body: Mapping[str, Any]) -> None:
        self.violations.extend(self.check.check_notification(body))

    def report(self) -> str:
        lines = "\n".join(f"  - {v}" for v in self.violations)
        return f"Docplanner's published contract was broken:\n{lines}"
