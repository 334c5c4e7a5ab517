"""What the reminders' and the notifications' tests share: the day-before rule with short
texts, a patient reachable on Telegram, a visit on Wednesday, and the notifications made."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import FrozenClock
from core.db.database import Database
from core.messaging.reminder_rules import default_rules
from core.models import Contact, Notification
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import Channel, ContactKind
from testkit.factories import SmallClinic, adult

DAY_BEFORE = replace(  # the default rule (at 18:00 the day before), with shorter texts
    default_rules()[0],
    templates={
        "pl": "{{ clinic }}: wizyta {{ date }} o {{ time }}, {{ address }}.",
        "en": "{{ clinic }}: visit on {{ date }} at {{ time }}, {{ address }}.",
    },
)


async def telegram_patient(db: Database, clock: FrozenClock, n: int = 1) -> int:
    patient = await adult(db, clock, n)

    async def work(session):
        session.add(Contact(patient_id=patient, kind=ContactKind.TELEGRAM, value=f"{9000 + n}"))

    await db.write(work)
    return patient


async def book_visit(db: Database, clock: FrozenClock, c: SmallClinic, patient: int, nth: int = 0):
    """A visit on Wednesday 2 December (the `nth` free time from 08:00)."""
    free = await SlotSearch(db, clock).find(
        SlotQuery(
            channel=Channel.TELEGRAM,
            service_id=c.consult.id,
            start=datetime(2026, 12, 2, 0, 0, tzinfo=UTC),  # from Wednesday: 08:00 in Warsaw
            limit=nth + 1,
        )
    )
    slot = free[nth]
    assert c.consult.id is not None
    return await BookingService(db, clock).book(
        Actor.patient(patient, Channel.TELEGRAM),
        VisitRequest(patient, c.consult.id, slot.doctor_id, slot.start_at),
    )


async def all_notifications(db: Database) -> list[Notification]:
    async with db.read() as session:
        return list(
            (await session.execute(select(Notification).order_by(col(Notification.id)))).scalars()
        )
