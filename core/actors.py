"""Who acts on a booking: recorded in its history and, for patients, checked against it."""

from __future__ import annotations

from dataclasses import dataclass

from core.vocab import ActorKind, Channel

_PARTNER_CHANNELS = (Channel.ZNANYLEKARZ, Channel.LUXMED, Channel.ONDOC)


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    channel: Channel

    @classmethod
    def patient(cls, patient_id: int, channel: Channel) -> Actor:
        return cls(ActorKind.PATIENT, str(patient_id), channel)

    @classmethod
    def staff(cls, login: str) -> Actor:
        return cls(ActorKind.STAFF, login, Channel.STAFF)

    @classmethod
    def partner(cls, channel: Channel) -> Actor:
        if channel not in _PARTNER_CHANNELS:
            raise ValueError(f"{channel} is not a partner")
        return cls(ActorKind.PARTNER, channel.value, channel)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "system", Channel.SYSTEM)
