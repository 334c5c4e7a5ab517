"""The one interface every partner platform is reached through, in the engine's words.

An adapter (partners/*) turns an `Outbound` operation into the platform's calls
and the platform's notifications into `Notice`s; the engine never sees HTTP.
Errors are two: `PartnerUnavailable` (timeout, 5xx, 429: retried later,
honouring `retry_after`) and `PartnerRefused` (a 4xx: shown to staff), with
`PartnerConflict` between them (a refusal that may pass after a few retries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from core.journal import plain
from core.vocab import Channel, PartnerOpKind, Sex


class PartnerUnavailable(Exception):
    """The partner cannot take it now; `retry_after` seconds if it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PartnerRefused(Exception):
    """The partner refused for good; `message` is its own explanation, for staff."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PartnerConflict(PartnerRefused):
    """The partner's calendar disagrees for now (the time is still taken there, say by a
    booking we asked it to cancel): retried a few times, then shown to staff."""


@dataclass(frozen=True)
class PartnerPatient:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    pesel: str | None = None
    sex: Sex | None = None
    remote_id: str | None = None  # the partner's own id for the patient, when linked


@dataclass(frozen=True)
class Visit:
    """A visit as sent to a partner: ids are the partner's (from the mappings)."""

    doctor: str
    service: str | None
    start_at: datetime
    end_at: datetime
    patient: PartnerPatient
    doctor_name: str = ""
    service_name: str = ""
    e_referral: str | None = None  # as `core.booking.ereferral` keeps it


@dataclass(frozen=True)
class Outbound:
    """One operation for a partner. `key` is stable across retries (idempotency)."""

    kind: PartnerOpKind
    key: str
    remote_booking_id: str | None = None  # move, cancel, complete
    visit: Visit | None = None  # book, move
    reason: str = ""  # cancel
    doctor: str | None = None  # publish: the partner's doctor (calendar) id
    day: date | None = None  # publish: the local day replaced
    periods: Sequence[tuple[datetime, datetime]] = ()  # publish: free work periods
    services: Sequence[tuple[str, int]] = ()  # publish: (partner service id, minutes)
    busy: Sequence[tuple[datetime, datetime]] = ()  # publish: the visits in the periods
    zone: str = "UTC"  # publish: the time zone the day is local to


class NoticeKind(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    LINKED = "linked"  # a patient tied their account there to a card here (`extra`)
    UNLINKED = "unlinked"
    OTHER = "other"  # stored, acknowledged, nothing to apply


@dataclass(frozen=True)
class Notice:
    """A partner's notification in the engine's words; `key` identifies it across
    redeliveries (push and pull of the same event give the same key)."""

    key: str
    name: str
    kind: NoticeKind
    remote_booking_id: str = ""
    old_remote_booking_id: str | None = None
    doctor: str | None = None
    service: str | None = None
    start_at: datetime | None = None
    patient: PartnerPatient | None = None
    reason: str = ""
    # What else the adapter says: its own ids to resolve, `provisional` (the booking has
    # no id there yet: a blocking request), a linked patient's ids.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        return {k: plain(v) for k, v in asdict(self).items() if k not in ("key", "name")} | {
            "patient": None
            if self.patient is None
            else {k: plain(v) for k, v in asdict(self.patient).items()}
        }

    @classmethod
    def from_payload(cls, key: str, name: str, payload: dict[str, Any]) -> Notice:
        p = payload.get("patient")
        patient = None
        if p is not None:
            birth = p.get("birth_date")
            patient = PartnerPatient(
                **{
                    **p,
                    "birth_date": date.fromisoformat(birth) if birth else None,
                    "sex": Sex(p["sex"]) if p.get("sex") else None,
                }
            )
        start = payload.get("start_at")
        return cls(
            key=key,
            name=name,
            kind=NoticeKind(payload["kind"]),
            remote_booking_id=payload.get("remote_booking_id", ""),
            old_remote_booking_id=payload.get("old_remote_booking_id"),
            doctor=payload.get("doctor"),
            service=payload.get("service"),
            start_at=datetime.fromisoformat(start) if start else None,
            patient=patient,
            reason=payload.get("reason", ""),
            extra=payload.get("extra") or {},
        )


class Scope(StrEnum):
    """Which mapping makes a booking a partner's business."""

    DOCTOR = "doctor"  # every visit in a mapped doctor's calendar (Docplanner)
    SERVICE = "service"  # visits of the services it pays for (LUX MED)
    PATIENT = "patient"  # visits of patients linked to it (ONDOC)


Keep = Callable[[Sequence[Notice]], Awaitable[object]]


class PartnerClient(Protocol):
    """A partner platform, as the sync engine drives it."""

    @property
    def partner(self) -> Channel: ...

    @property
    def operations(self) -> frozenset[PartnerOpKind]:
        """The operation kinds this partner takes; others are never planned for it."""
        ...

    @property
    def scope(self) -> Scope: ...

    @property
    def horizon(self) -> timedelta:
        """How far ahead slots may be published: the days from today until today + horizon
        (that day itself is beyond it)."""
        ...

    async def deliver(self, op: Outbound) -> str | None:
        """Carry out `op`; the partner's booking id for book and move. Raises
        `PartnerUnavailable` or `PartnerRefused`."""
        ...

    async def pull(self, keep: Keep) -> None:
        """Fetch the notifications not yet fetched (the safety net under push), handing
        each batch to `keep`, which stores it, before asking for the next: a platform may
        forget what it handed out."""
        ...

    async def resolve(self, notice: Notice) -> Notice:
        """`notice` in the ids the mappings know, where the platform names something by an
        id of its own (Docplanner's address services); raises `PartnerUnavailable`."""
        ...
