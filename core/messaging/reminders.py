"""The planner that turns the reminder rules (`core.messaging.reminder_rules`), open
waiting-list offers and the desk's replies into notifications.

The planner looks at a window of time around now (visits ahead, status changes
and completed visits behind, birthdays ahead, open waiting-list offers, staff
replies) and inserts one notification per thing to say, keyed by what it is
about. A key already present is skipped by the database, so planning runs on
every worker on every pass without ever producing a second row. A moved visit
gets a new key (the key holds its time) and the old notification is skipped
when its turn comes (`core.messaging.compose.stale`, checked before sending).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.messaging.port import REMINDER, STAFF_REPLY, WAITLIST_BOOKED, WAITLIST_OFFER
from core.messaging.queue import insert_notifications, notification_row
from core.models import (
    Booking,
    BookingChange,
    Branch,
    Escalation,
    EscalationMessage,
    Patient,
    ReminderRule,
    WaitlistEntry,
    WaitlistOffer,
)
from core.quiet import QuietHours
from core.vocab import BookingStatus, OfferStatus, RuleKind

ACTIVE = (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class PlannerPolicy:
    quiet: QuietHours = field(default_factory=QuietHours)
    ahead: timedelta = timedelta(days=2)  # plan what falls due this far ahead
    behind: timedelta = timedelta(days=1)  # and catch up on what a stopped worker missed


class ReminderPlanner:
    def __init__(self, db: Database, clock: Clock, policy: PlannerPolicy | None = None) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or PlannerPolicy()

    async def plan(self) -> int:
        """One pass over every source; how many notifications were new."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            rules = list(
                (
                    await session.execute(select(ReminderRule).where(col(ReminderRule.enabled)))
                ).scalars()
            )
            rows: list[dict[str, Any]] = []
            for rule in rules:
                rows.extend(await self._for_rule(session, rule, now))
            rows.extend(await self._offers(session, now))
            rows.extend(await self._auto_bookings(session, now))
            rows.extend(await self._staff_replies(session, now))
            return await insert_notifications(session, rows, now)

        return await self.db.write(work)

    async def _for_rule(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        if rule.kind is RuleKind.DAYS_BEFORE:
            return await self._days_before(session, rule, now)
        if rule.kind is RuleKind.MINUTES_BEFORE:
            return await self._minutes_before(session, rule, now)
        if rule.kind is RuleKind.AFTER_STATUS:
            return await self._after_status(session, rule, now)
        if rule.kind is RuleKind.AFTER_SERVICE:
            return await self._after_service(session, rule, now)
        if rule.kind is RuleKind.BIRTHDAY:
            return await self._birthdays(session, rule, now)
        return []  # EVENT rules fire in `raise_event`

    async def _visits(
        self, session: AsyncSession, low: datetime, high: datetime, *statuses: BookingStatus
    ) -> list[tuple[Booking, str]]:
        rows = await session.execute(
            select(Booking, col(Branch.timezone))
            .join(Branch, col(Branch.id) == col(Booking.branch_id))
            .where(
                col(Booking.start_at) >= low,
                col(Booking.start_at) < high,
                col(Booking.status).in_(statuses),
            )
        )
        return [(booking, tz) for booking, tz in rows]

    def _visit_row(
        self, rule: ReminderRule, booking: Booking, tz: str, due: datetime, now: datetime
    ) -> dict[str, Any] | None:
        """The reminder of `booking`, unless it would come too late to mean anything."""
        if booking.created_at > due:
            return None  # booked after the reminder's time: the confirmation said it all
        due = self.policy.quiet.next_allowed(max(due, now), tz)
        if due >= booking.start_at:
            return None
        stamp = int(booking.start_at.timestamp())
        return notification_row(
            f"r{rule.id}:b{booking.id}:{stamp}",
            rule_id=rule.id,
            patient_id=booking.patient_id,
            booking_id=booking.id,
            visit_start=booking.start_at,
            due_at=due,
            topic=REMINDER,
        )

    async def _days_before(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        assert rule.at_local is not None
        high = now + self.policy.ahead + timedelta(days=rule.days + 1)
        rows = []
        for booking, tz in await self._visits(session, now, high, *ACTIVE):
            zone = ZoneInfo(tz)
            day = booking.start_at.astimezone(zone).date() - timedelta(days=rule.days)
            due = datetime.combine(day, rule.at_local, zone)
            row = self._visit_row(rule, booking, tz, due, now)
            if row is not None and due <= now + self.policy.ahead:
                rows.append(row)
        return rows

    async def _minutes_before(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        lead = timedelta(minutes=rule.minutes)
        rows = []
        high = now + self.policy.ahead + lead
        for booking, tz in await self._visits(session, now, high, *ACTIVE):
            zone = ZoneInfo(tz)
            if rule.same_day_only and (
                booking.created_at.astimezone(zone).date()
                != booking.start_at.astimezone(zone).date()
            ):
                continue
            row = self._visit_row(rule, booking, tz, booking.start_at - lead, now)
            if row is not None:
                rows.append(row)
        return rows

    async def _after_status(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        assert rule.status is not None
        delay = timedelta(minutes=rule.minutes)
        changes = await session.execute(
            select(BookingChange, Booking, col(Branch.timezone))
            .join(Booking, col(Booking.id) == col(BookingChange.booking_id))
            .join(Branch, col(Branch.id) == col(Booking.branch_id))
            .where(
                col(BookingChange.action) == "status",
                col(BookingChange.at) >= now - delay - self.policy.behind,
                col(BookingChange.at) < now + self.policy.ahead - delay,
            )
        )
        rows = []
        for change, booking, tz in changes:
            if change.changes.get("status", [None, None])[1] != rule.status.value:
                continue
            rows.append(
                notification_row(
                    f"r{rule.id}:c{change.id}",
                    rule_id=rule.id,
                    patient_id=booking.patient_id,
                    booking_id=booking.id,
                    due_at=self.policy.quiet.next_allowed(change.at + delay, tz),
                    topic=REMINDER,
                )
            )
        return rows

    async def _after_service(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        after = timedelta(days=rule.days)
        visits = await session.execute(
            select(Booking, col(Branch.timezone))
            .join(Branch, col(Branch.id) == col(Booking.branch_id))
            .where(
                col(Booking.status) == BookingStatus.COMPLETED,
                col(Booking.service_id).in_(rule.service_ids),
                col(Booking.start_at) >= now - after - self.policy.behind,
                col(Booking.start_at) < now - after + self.policy.ahead,
            )
        )
        return [
            notification_row(
                f"r{rule.id}:b{booking.id}",
                rule_id=rule.id,
                patient_id=booking.patient_id,
                booking_id=booking.id,
                due_at=self.policy.quiet.next_allowed(max(booking.start_at + after, now), tz),
                topic=REMINDER,
            )
            for booking, tz in visits
        ]

    async def _birthdays(
        self, session: AsyncSession, rule: ReminderRule, now: datetime
    ) -> list[dict[str, Any]]:
        assert rule.at_local is not None
        tz = (await session.execute(select(col(Branch.timezone)).limit(1))).scalar()
        if tz is None:
            return []
        zone = ZoneInfo(tz)
        today = now.astimezone(zone).date()
        span = (self.policy.ahead + timedelta(days=rule.days)).days + 1
        wanted = {(d.month, d.day): d for d in (today + timedelta(days=n) for n in range(span))}
        rows = []
        patients = await session.execute(
            select(col(Patient.id), col(Patient.birth_date)).where(
                col(Patient.birth_date).is_not(None)
            )
        )
        for patient_id, born in patients:
            assert born is not None
            birthday = wanted.get((born.month, born.day))
            if birthday is None:
                continue
            due = datetime.combine(birthday - timedelta(days=rule.days), rule.at_local, zone)
            if due < now - self.policy.behind or due > now + self.policy.ahead:
                continue
            rows.append(
                notification_row(
                    f"r{rule.id}:p{patient_id}:{birthday.year}",
                    rule_id=rule.id,
                    patient_id=patient_id,
                    due_at=self.policy.quiet.next_allowed(max(due, now), tz),
                    topic=REMINDER,
                )
            )
        return rows

    async def _offers(self, session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
        offers = await session.execute(
            select(WaitlistOffer, col(WaitlistEntry.patient_id), col(Branch.timezone))
            .join(WaitlistEntry, col(WaitlistEntry.id) == col(WaitlistOffer.entry_id))
            .join(Branch, col(Branch.id) == col(WaitlistOffer.branch_id))
            .where(
                col(WaitlistOffer.status) == OfferStatus.OPEN, col(WaitlistOffer.expires_at) > now
            )
        )
        return [
            notification_row(
                f"offer:{offer.id}",
                patient_id=patient_id,
                subject_id=offer.id,
                visit_start=offer.start_at,
                due_at=self.policy.quiet.next_allowed(now, tz),
                expires_at=offer.expires_at,
                topic=WAITLIST_OFFER,
            )
            for offer, patient_id, tz in offers
        ]

    async def _auto_bookings(self, session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
        """A freed time booked for a patient who opted in: told at once (quiet hours
        aside), with a way to undo it."""
        booked = await session.execute(
            select(WaitlistOffer, WaitlistEntry, col(Branch.timezone))
            .join(WaitlistEntry, col(WaitlistEntry.id) == col(WaitlistOffer.entry_id))
            .join(Branch, col(Branch.id) == col(WaitlistOffer.branch_id))
            .where(
                col(WaitlistOffer.auto),
                col(WaitlistOffer.created_at) >= now - self.policy.behind,
                col(WaitlistOffer.start_at) > now,
            )
        )
        return [
            notification_row(
                f"autobook:{offer.id}",
                patient_id=entry.patient_id,
                booking_id=entry.booking_id,
                subject_id=offer.id,
                visit_start=offer.start_at,
                due_at=self.policy.quiet.next_allowed(now, tz),
                topic=WAITLIST_BOOKED,
            )
            for offer, entry, tz in booked
        ]

    async def _staff_replies(self, session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
        """Staff answers to an escalated chat go back to that chat, quiet hours or not:
        the patient asked and is waiting."""
        replies = await session.execute(
            select(EscalationMessage, Escalation)
            .join(Escalation, col(Escalation.id) == col(EscalationMessage.escalation_id))
            .where(
                col(EscalationMessage.author) == "staff",
                col(EscalationMessage.at) >= now - self.policy.behind,
            )
        )
        return [
            notification_row(
                f"reply:{message.id}",
                patient_id=case.patient_id,
                to_channel=case.channel,
                to_address=case.chat_id,
                subject_id=message.id,
                due_at=now,
                topic=STAFF_REPLY,
            )
            for message, case in replies
        ]
