"""What every partner adapter does alike over HTTP: one JSON call, a transport failure
as `PartnerUnavailable`, a non-2xx answer read by the adapter's own `read_error`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from core.partners.port import PartnerUnavailable

ErrorReader = Callable[[int, bytes, Mapping[str, str]], Exception]


async def call_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    limits: httpx.Timeout,
    read_error: ErrorReader,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    on_headers: Callable[[Mapping[str, str]], None] | None = None,
) -> Any:
    """The decoded JSON answer (`{}` when empty), or the engine's error."""
    try:
        response = await http.request(
            method, url, json=body, params=params, headers=headers, timeout=limits
        )
    except httpx.HTTPError as exc:
        raise PartnerUnavailable(f"{type(exc).__name__} on {method}") from None
    if on_headers is not None:
        on_headers(response.headers)
    if response.status_code >= 400:
        raise read_error(response.status_code, response.content, response.headers)
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise PartnerUnavailable(f"unreadable answer to {method}") from None
