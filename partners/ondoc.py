"""ONDOC (the patient's health account), behind `core.partners.port`.

ONDOC publishes no API: this is the contract we assume (docs/partners.md, seed 002),
kept in this one module so the real one replaces it here. JSON over HTTPS to the
server's address; the branch token (`Authorization: Bearer`) and the company token
(`X-Company-Token`) on every request; times in the clinic's time zone, with offset:

- `POST /api/v2/link-codes` `{"mis_patient_id", "first_name", "last_name",
  "birth_date", "phone" | "email"}` → `{"code": "123456789"}`: the 9-digit code the
  patient types in their ONDOC account to link it to the card;
- `GET /api/v2/events?after=<cursor>` → `{"events": [{"id", "type", "data"}], "cursor"}`:
  `patient.linked` / `patient.unlinked` `{"mis_patient_id", "patient_id"}`;
- `POST /api/v2/appointments` `{"mis_id", "patient_id", "doctor", "doctor_name",
  "service", "service_name", "start", "end"}` → 201 `{"id"}`;
- `PATCH /api/v2/appointments/{id}` `{"doctor", "doctor_name", "start", "end"}` → 200;
- `POST /api/v2/appointments/{id}/cancel` `{"reason"}` → 204;
- `DELETE /api/v2/patients/{patient_id}/link` → 204: unlinked from our side;
- errors `{"error", "message"}`; 429 and 5xx may carry Retry-After.

Only visits of linked patients are its business (`Scope.PATIENT`), whatever channel
they were booked through; a restored visit is created there again (ONDOC has no
restore), cancellations carry their reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from core.partners.port import (
    Keep,
    Notice,
    NoticeKind,
    Outbound,
    PartnerRefused,
    PartnerUnavailable,
    Scope,
)
from core.vocab import Channel, PartnerOpKind
from edge.text import clean
from partners.headers import retry_after_seconds
from partners.http import call_json


@dataclass(frozen=True)
class OndocAccount:
    base_url: str
    company_token: str = field(repr=False)
    branch_token: str = field(repr=False)
    timezone: str = "Europe/Warsaw"
    timeout: float = 10.0


def parse_error(status: int, content: bytes, headers: Mapping[str, str]) -> Exception:
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    words = ""
    if isinstance(data, dict):
        words = f"{data.get('error') or ''} {data.get('message') or ''}".strip()
    text = f"HTTP {status}: {words or 'no message'}"[:400]
    if status == 429 or status >= 500:
        return PartnerUnavailable(text, retry_after=retry_after_seconds(headers.get("retry-after")))
    return PartnerRefused(text, status=status)


def parse_event(raw: Any) -> Notice | None:
    """A link or unlink event; None for what we do not act on."""
    if not isinstance(raw, dict):
        return None
    kind = {"patient.linked": NoticeKind.LINKED, "patient.unlinked": NoticeKind.UNLINKED}.get(
        str(raw.get("type"))
    )
    data = raw.get("data")
    if kind is None or not isinstance(data, dict):
        return None
    return Notice(
        key=clean(f"event:{raw.get('id')}", 200),
        name=clean(str(raw.get("type")), 64),
        kind=kind,
        extra={
            "local_patient": clean(str(data.get("mis_patient_id", "")), 64),
            "remote_patient": clean(str(data.get("patient_id", "")), 200),
        },
    )


class OndocClient:
    partner = Channel.ONDOC
    operations = frozenset({PartnerOpKind.BOOK, PartnerOpKind.MOVE, PartnerOpKind.CANCEL})
    scope = Scope.PATIENT
    horizon = timedelta(0)  # nothing is published

    def __init__(self, http: httpx.AsyncClient, account: OndocAccount) -> None:
        self.http = http
        self.account = account
        self.zone = ZoneInfo(account.timezone)
        self.timeout = httpx.Timeout(account.timeout, connect=min(3.0, account.timeout))
        self._cursor = ""

    def _local(self, at: datetime) -> str:
        return at.astimezone(self.zone).isoformat()

    async def deliver(self, op: Outbound) -> str | None:
        if op.kind is PartnerOpKind.CANCEL:
            assert op.remote_booking_id is not None
            path = f"/api/v2/appointments/{quote(op.remote_booking_id, safe='')}/cancel"
            await self._call("POST", path, {"reason": op.reason})
            return None
        visit = op.visit
        assert visit is not None
        if visit.patient.remote_id is None:
            raise PartnerRefused("the patient is not linked to ONDOC")
        when = {
            "doctor": visit.doctor,
            "doctor_name": visit.doctor_name,
            "start": self._local(visit.start_at),
            "end": self._local(visit.end_at),
        }
        if op.kind is PartnerOpKind.MOVE:
            assert op.remote_booking_id is not None
            path = f"/api/v2/appointments/{quote(op.remote_booking_id, safe='')}"
            await self._call("PATCH", path, when)
            return op.remote_booking_id
        body = {
            "mis_id": op.key,
            "patient_id": visit.patient.remote_id,
            "service": visit.service,
            "service_name": visit.service_name,
            **when,
        }
        data = await self._call("POST", "/api/v2/appointments", body)
        return str(data.get("id", ""))

    async def pull(self, keep: Keep) -> None:
        """Link and unlink events since the last pull (the cursor moves once they are kept)."""
        data = await self._call("GET", f"/api/v2/events?after={quote(self._cursor, safe='')}")
        events = data.get("events")
        await keep(
            [n for e in (events if isinstance(events, list) else []) if (n := parse_event(e))]
        )
        self._cursor = str(data.get("cursor") or self._cursor)

    async def resolve(self, notice: Notice) -> Notice:
        return notice

    async def link_code(
        self,
        mis_patient_id: int,
        first_name: str,
        last_name: str,
        birth_date: date | None,
        contact: Mapping[str, str],
    ) -> str:
        """The 9-digit code the patient enters in ONDOC to link their account."""
        body = {
            "mis_patient_id": str(mis_patient_id),
            "first_name": first_name,
            "last_name": last_name,
            "birth_date": birth_date.isoformat() if birth_date else None,
            **{k: v for k, v in contact.items() if k in ("phone", "email")},
        }
        data = await self._call("POST", "/api/v2/link-codes", body)
        code = str(data.get("code", ""))
        if len(code) != 9 or not code.isdigit():
            raise PartnerUnavailable("ONDOC returned no valid linking code")
        return code

    async def unlink(self, remote_patient: str) -> None:
        """Untie the patient's account (their card is deleted here)."""
        await self._call("DELETE", f"/api/v2/patients/{quote(remote_patient, safe='')}/link")

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.account.branch_token}",
            "X-Company-Token": self.account.company_token,
        }
        data = await call_json(
            self.http,
            method,
            self.account.base_url.rstrip("/") + path,
            headers=headers,
            limits=self.timeout,
            read_error=parse_error,
            body=body,
        )
        return data if isinstance(data, dict) else {}
