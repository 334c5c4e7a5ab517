"""What the clinic publishes for aggregators: branches, each doctor's schedule at a
branch, and the free slots a patient may book through the public channels.

The data only, in the engine's words; the SMART Scheduling Links rendering lives in
the web face (frontdesk/public/smart.py). A slot is published when it is free and open to
the channel the feed's links lead to (the Telegram bot), so the feed honours each
slot's availability exactly as the bot's own search does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from core.clinic.names import doctor_name
from core.clock import Clock
from core.db.database import Database
from core.models import Branch, Doctor, DoctorSpecialty, Specialty
from core.schedule.search import MAX_LIMIT, SlotQuery, find_free
from core.vocab import Channel


@dataclass(frozen=True)
class FeedLocation:
    """A branch: its Polish name and the name's translations."""

    id: int
    name: str
    address: str
    city: str
    phone: str
    names: tuple[tuple[str, str], ...] = ()  # (language, name), the catalog's translations


@dataclass(frozen=True, order=True)
class FeedSpecialty:
    """A specialty as the feed names it: its code, Polish name and translations."""

    code: str
    name: str
    names: tuple[tuple[str, str], ...]  # (language, name), the catalog's translations


@dataclass(frozen=True)
class FeedSchedule:
    """A doctor at a branch; `specialties` name the services they give there. `doctor` is
    the name with the Polish title, `doctors` the name in each language the title is
    translated into."""

    doctor_id: int
    branch_id: int
    doctor: str
    specialties: tuple[FeedSpecialty, ...]
    doctors: tuple[tuple[str, str], ...] = ()  # (language, title first last)

    @property
    def id(self) -> str:
        return f"{self.doctor_id}-{self.branch_id}"


# A slot's id, the same in the feed and the FHIR API: its schedule (doctor, branch) and UTC start.
_SLOT_ID = re.compile(r"(\d{1,9})-(\d{1,9})-(\d{12})")

# A deep link's start payload (Telegram allows 1-64 of [A-Za-z0-9_-]): doctor, UTC start.
_SLOT_LINK = re.compile(r"slot-(\d{1,9})-(\d{12})")


@dataclass(frozen=True)
class FeedSlot:
    schedule_id: str
    start_at: datetime
    end_at: datetime

    @property
    def doctor_id(self) -> int:
        return int(self.schedule_id.split("-")[0])

    @property
    def id(self) -> str:
        doctor, branch = self.schedule_id.split("-")
        return slot_id(int(doctor), int(branch), self.start_at)

    def link_payload(self) -> str:
        """What the feed's booking link hands the bot; `parse_slot_link` reads it back."""
        return slot_link(self.doctor_id, self.start_at)


def slot_id(doctor_id: int, branch_id: int, start_at: datetime) -> str:
    """A free time's id ("7-1-202612020700": doctor, branch, UTC start), read by
    `parse_slot_id`: a slot the feed lists has the same id in the FHIR API."""
    return f"{doctor_id}-{branch_id}-{start_at.astimezone(UTC):%Y%m%d%H%M}"


def parse_slot_id(text: str) -> tuple[int, int, datetime] | None:
    """The doctor, branch and UTC start a slot id names; None for anything else."""
    match = _SLOT_ID.fullmatch(text)
    if match is None:
        return None
    try:
        at = datetime.strptime(match[3], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(match[1]), int(match[2]), at


def slot_link(doctor_id: int, start_at: datetime) -> str:
    """A free time as a chat's deep link ("slot-7-202612020700"), read by `parse_slot_link`."""
    return f"slot-{doctor_id}-{start_at.astimezone(UTC):%Y%m%d%H%M}"


def parse_slot_link(payload: str) -> tuple[int, datetime] | None:
    """The doctor and UTC start a deep link names; None for anything else."""
    match = _SLOT_LINK.fullmatch(payload)
    if match is None:
        return None
    try:
        at = datetime.strptime(match[2], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(match[1]), at


@dataclass(frozen=True)
class Feed:
    generated_at: datetime
    locations: list[FeedLocation]
    schedules: list[FeedSchedule]
    slots: list[FeedSlot]


class FeedService:
    def __init__(self, db: Database, clock: Clock, *, channel: Channel = Channel.TELEGRAM) -> None:
        self.db = db
        self.clock = clock
        self.channel = channel

    async def snapshot(self, days: int) -> Feed:
        """Everything free in the coming `days`, read in one snapshot."""
        now = self.clock.now()
        end = now + timedelta(days=days)
        async with self.db.read() as session:
            branches = list(
                (await session.execute(select(Branch).order_by(col(Branch.id)))).scalars()
            )
            doctors = list(
                (
                    await session.execute(
                        select(Doctor).where(col(Doctor.active)).order_by(col(Doctor.id))
                    )
                ).scalars()
            )
            specialties: dict[int, list[FeedSpecialty]] = {}
            for doctor_id, specialty in (
                await session.execute(
                    select(col(DoctorSpecialty.doctor_id), Specialty).join(
                        Specialty, col(Specialty.id) == col(DoctorSpecialty.specialty_id)
                    )
                )
            ).all():
                specialties.setdefault(doctor_id, []).append(
                    FeedSpecialty(
                        specialty.code, specialty.name, tuple(sorted(specialty.names.items()))
                    )
                )
            schedules: dict[str, FeedSchedule] = {}
            slots: list[FeedSlot] = []
            for doctor in doctors:
                assert doctor.id is not None
                start = now
                while start < end:
                    page = await find_free(
                        session,
                        SlotQuery(
                            channel=self.channel,
                            doctor_id=doctor.id,
                            start=start,
                            end=end,
                            limit=MAX_LIMIT,
                        ),
                        now,
                    )
                    for free in page:
                        schedule = FeedSchedule(
                            doctor.id,
                            free.branch_id,
                            doctor.display_name,
                            tuple(sorted(specialties.get(doctor.id, []))),
                            tuple(
                                (language, doctor_name(doctor, language))
                                for language in sorted(doctor.titles)
                            ),
                        )
                        schedules.setdefault(schedule.id, schedule)
                        slots.append(FeedSlot(schedule.id, free.start_at, free.end_at))
                    if len(page) < MAX_LIMIT:
                        break
                    start = page[-1].start_at + timedelta(seconds=1)
        return Feed(
            generated_at=now,
            locations=[
                FeedLocation(
                    b.id, b.name, b.address, b.city, b.phone, tuple(sorted(b.names.items()))
                )
                for b in branches
                if b.id is not None
            ],
            schedules=sorted(schedules.values(), key=lambda s: (s.doctor_id, s.branch_id)),
            slots=sorted(slots, key=lambda s: (s.start_at, s.schedule_id)),
        )
