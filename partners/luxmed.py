"""LUX MED, through the connector the clinic registers with it (seed 000), behind
`core.partners.port` and `core.partners.eligibility`.

LUX MED publishes no API: this is the contract we assume (docs/partners.md), kept in
this one module so the real one replaces it here. JSON over HTTPS to the connector's
address, `Authorization: Bearer <connector password>`, a timeout per request:

- `GET /v1/ping` → 200: "test connection";
- `GET /v1/services` → `{"services": [{"code", "name"}]}`: the dictionary to map ours to;
- `PUT /v1/doctors/{doctor}/schedule/{YYYY-MM-DD}` `{"periods": [{"start", "end"}],
  "services": [{"code", "duration"}]}` → 204: one day's working time, replaced;
- `POST /v1/eligibility` `{"pesel", "service", "start"}` → `{"eligible": bool,
  "reason": "no_active_plan" | "not_in_plan" | "limit_used", "message"}`;
- `POST /v1/visits` `{"doctor", "service", "start", "end", "patient": {"pesel",
  "first_name", "last_name", "birth_date", "phone", "email"}}` with an
  `Idempotency-Key` header → 201 `{"id"}` (a repeated key returns the first visit);
- `PUT /v1/visits/{id}` `{"doctor", "start", "end"}` → 200: a visit moved (same id);
- `POST /v1/visits/{id}/cancel` `{"reason"}` → 204; `POST /v1/visits/{id}/complete` → 204;
- errors `{"error": {"code", "message"}}`; 429 and 5xx may carry Retry-After.

Only visits of services mapped to LUX MED are its business (`Scope.SERVICE`); a
LUX MED patient's PESEL is required (the engine checks it before asking).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from core.partners.eligibility import Verdict
from core.partners.port import (
    Keep,
    Notice,
    Outbound,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
    Visit,
)
from core.vocab import Channel, PartnerOpKind
from partners.headers import retry_after_seconds
from partners.http import call_json

HORIZON = timedelta(weeks=12)


@dataclass(frozen=True)
class LuxmedConnector:
    base_url: str
    password: str = field(repr=False)
    timeout: float = 10.0  # seconds


def parse_error(status: int, content: bytes, headers: Mapping[str, str]) -> Exception:
    """The engine's error for a non-2xx answer, with LUX MED's own code and message."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    code = message = ""
    if isinstance(error, dict):
        code, message = str(error.get("code") or ""), str(error.get("message") or "")
    text = f"HTTP {status}: {code} {message}".strip()[:400]
    if status == 429 or status >= 500:
        return PartnerUnavailable(text, retry_after=retry_after_seconds(headers.get("retry-after")))
    return PartnerRefused(text, status=status)


def visit_body(visit: Visit) -> dict[str, Any]:
    patient = visit.patient
    details = {
        "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
        "phone": patient.phone,
        "email": patient.email,
    }
    return {
        "doctor": visit.doctor,
        "service": visit.service,
        "start": visit.start_at.isoformat(),
        "end": visit.end_at.isoformat(),
        "patient": {
            "pesel": patient.pesel,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            **{k: v for k, v in details.items() if v is not None},
        },
    }


def schedule_body(
    periods: Sequence[tuple[datetime, datetime]], services: Sequence[tuple[str, int]]
) -> dict[str, Any]:
    return {
        "periods": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in periods],
        "services": [{"code": code, "duration": minutes} for code, minutes in services],
    }


class LuxmedClient:
    """The connector adapter: visits, schedules, the dictionary and eligibility."""

    partner = Channel.LUXMED
    operations = frozenset(
        {
            PartnerOpKind.BOOK,
            PartnerOpKind.MOVE,
            PartnerOpKind.CANCEL,
            PartnerOpKind.COMPLETE,
            PartnerOpKind.PUBLISH_SLOTS,
        }
    )
    scope = Scope.SERVICE
    horizon = HORIZON

    def __init__(self, http: httpx.AsyncClient, connector: LuxmedConnector) -> None:
        self.http = http
        self.connector = connector
        self.timeout = httpx.Timeout(connector.timeout, connect=min(3.0, connector.timeout))

    async def deliver(self, op: Outbound) -> str | None:
        if op.kind is PartnerOpKind.PUBLISH_SLOTS:
            assert op.doctor is not None
            assert op.day is not None
            await self.publish(op.doctor, op.day, op.periods, op.services)
            return None
        if op.kind is PartnerOpKind.BOOK:
            assert op.visit is not None
            if not op.visit.patient.pesel:
                raise PartnerRefused("LUX MED needs the patient's PESEL")
            data = await self._call("POST", "/v1/visits", visit_body(op.visit), key=op.key)
            return str(data.get("id", ""))
        assert op.remote_booking_id is not None
        visit = quote(op.remote_booking_id, safe="")
        if op.kind is PartnerOpKind.MOVE:
            assert op.visit is not None
            body = {
                "doctor": op.visit.doctor,
                "start": op.visit.start_at.isoformat(),
                "end": op.visit.end_at.isoformat(),
            }
            await self._call("PUT", f"/v1/visits/{visit}", body)
            return op.remote_booking_id
        if op.kind is PartnerOpKind.CANCEL:
            await self._call("POST", f"/v1/visits/{visit}/cancel", {"reason": op.reason})
            return None
        if op.kind is PartnerOpKind.COMPLETE:
            await self._call("POST", f"/v1/visits/{visit}/complete", {})
            return op.remote_booking_id
        raise PartnerRefused(f"{op.kind} is not supported by LUX MED")

    async def pull(self, keep: Keep) -> None:
        """LUX MED books through the published schedules: nothing to pull."""

    async def resolve(self, notice: Notice) -> Notice:
        return notice

    async def check(self, pesel: str, service: str, start_at: datetime) -> Verdict:
        data = await self._call(
            "POST",
            "/v1/eligibility",
            {"pesel": pesel, "service": service, "start": start_at.isoformat()},
        )
        return Verdict(
            eligible=data.get("eligible") is True,
            reason=str(data.get("reason") or "")[:50],
            message=str(data.get("message") or "")[:300],
        )

    async def test_connection(self) -> bool:
        """The connector answers and accepts our password."""
        try:
            await self._call("GET", "/v1/ping")
        except (PartnerUnavailable, PartnerRefused):
            return False
        return True

    async def dictionary(self) -> list[dict[str, str]]:
        """LUX MED's services, `{"code", "name"}` each, for mapping."""
        data = await self._call("GET", "/v1/services")
        items = data.get("services")
        return [
            {"code": str(i.get("code")), "name": str(i.get("name"))}
            for i in (items if isinstance(items, list) else [])
            if isinstance(i, dict)
        ]

    async def publish(
        self,
        doctor: str,
        day: date,
        periods: Sequence[tuple[datetime, datetime]],
        services: Sequence[tuple[str, int]],
    ) -> None:
        path = f"/v1/doctors/{quote(doctor, safe='')}/schedule/{day.isoformat()}"
        await self._call("PUT", path, schedule_body(periods, services))

    async def _call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.connector.password}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        data = await call_json(
            self.http,
            method,
            self.connector.base_url.rstrip("/") + path,
            headers=headers,
            limits=self.timeout,
            read_error=parse_error,
            body=body,
        )
        return data if isinstance(data, dict) else {}
