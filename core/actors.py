"""Who acts on a booking: recorded in its history and, for patients, checked against it."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Forbidden
from core.vocab import ActorKind, Channel

_PARTNER_CHANNELS = (Channel.ZNANYLEKARZ, Channel.LUXMED, Channel.ONDOC, Channel.CER)


@dataclass(frozen=True)
class Reach:
    """The visits a staff member acts on: in some branches (None: all), of some doctors
    (None: all; a doctor's own). The booking service checks it under the booking's row
    lock, so a visit moved out of a registrar's branches meanwhile is out of reach."""

    branch_ids: frozenset[int] | None = None
    doctor_ids: frozenset[int] | None = None

    def covers(self, branch_id: int, doctor_id: int) -> bool:
        return (self.branch_ids is None or branch_id in self.branch_ids) and (
            self.doctor_ids is None or doctor_id in self.doctor_ids
        )

    def require_branch(self, branch_id: int) -> None:
        """Where something new may go (a visit, a moved visit, a waiting-list entry): one of
        the member's branches, and never by a doctor."""
        if self.doctor_ids is not None or (
            self.branch_ids is not None and branch_id not in self.branch_ids
        ):
            raise Forbidden("this branch is outside your scope")


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    channel: Channel
    reach: Reach | None = None  # a staff member's; None: no limit beyond the kind's own

    @classmethod
    def patient(cls, patient_id: int, channel: Channel) -> Actor:
        return cls(ActorKind.PATIENT, str(patient_id), channel)

    @classmethod
    def staff(cls, login: str, reach: Reach | None = None) -> Actor:
        return cls(ActorKind.STAFF, login, Channel.STAFF, reach)

    @classmethod
    def partner(cls, channel: Channel) -> Actor:
        if channel not in _PARTNER_CHANNELS:
            raise ValueError(f"{channel} is not a partner")
        return cls(ActorKind.PARTNER, channel.value, channel)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "system", Channel.SYSTEM)
