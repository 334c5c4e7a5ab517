"""JSON responses as every route of the app writes them (UTF-8 text, not \\u escapes)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)
