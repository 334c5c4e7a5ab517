"""The access log without query strings: a staff search carries patients' names, phone
numbers and PESELs there, and those never reach a log; nor does a document link's token.
Each line names the request's id (the response's X-Request-Id), as the lines logged while
handling it do."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

REQUEST_ID_HEADER = "X-Request-Id"
# A document link's token is a key to a patient's document: its path is logged without it.
_DOCUMENT_LINK = re.compile(r"^(/documents/open/)[^/]+")


def loggable_path(path: str) -> str:
    return _DOCUMENT_LINK.sub(r"\1…", path)


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
