"""The access log without query strings: a staff search carries patients' names, phone
numbers and PESELs there, and those never reach a log; nor does the token of a booking
link or a document link, which is its path (`/b/<token>` is logged as `/b/…`). Each line
names the request's id (the response's X-Request-Id), as the lines logged while handling
it do."""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from edge.errors import loggable_path

REQUEST_ID_HEADER = "X-Request-Id"


class PathOnlyAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.3fs',
            request.remote,
            request.method,
            loggable_path(request.path),
            response.status,
            response.body_length,
            time,
            extra={"request_id": response.headers.get(REQUEST_ID_HEADER, "-")},
        )
