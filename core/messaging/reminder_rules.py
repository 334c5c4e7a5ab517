"""The clinic's reminder rules: added and changed only with valid templates, the ones a
new clinic starts with, and the event rules fired when staff or an integration say that
something happened. The planner (`core.messaging.reminders`) turns the other rules into
notifications as their time comes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, NotFound
from core.messaging.port import REMINDER
from core.messaging.queue import insert_notifications, notification_row
from core.messaging.templates import check
from core.models import ReminderRule
from core.vocab import BookingStatus, CommunicationStatus, PatientEvent, RuleKind


@dataclass(frozen=True)
class RuleDraft:
    name: str
    kind: RuleKind
    templates: dict[str, str]
    days: int = 0
    minutes: int = 0
    at_local: time | None = None
    same_day_only: bool = False
    status: BookingStatus | None = None
    service_ids: Sequence[int] = ()
    event: PatientEvent | None = None
    sets_status: CommunicationStatus | None = None
    with_actions: bool = False
    enabled: bool = True


def _check_rule(draft: RuleDraft) -> None:
    """Each kind has what it needs; templates are checked by `check`."""
    if draft.days < 0 or draft.minutes < 0:
        raise InvalidInput("days and minutes cannot be negative")
    needs_time = draft.kind in (RuleKind.DAYS_BEFORE, RuleKind.BIRTHDAY)
    if needs_time and draft.at_local is None:
        raise InvalidInput(f"a {draft.kind} rule needs a local time")
    if draft.kind is RuleKind.MINUTES_BEFORE and draft.minutes == 0:
        raise InvalidInput("a minutes-before rule needs minutes")
    if draft.kind is RuleKind.AFTER_STATUS and draft.status is None:
        raise InvalidInput("an after-status rule needs a status")
    if draft.kind is RuleKind.AFTER_SERVICE and not draft.service_ids:
        raise InvalidInput("an after-service rule needs services")
    if draft.kind is RuleKind.EVENT and draft.event is None:
        raise InvalidInput("an event rule needs an event")


class ReminderRules:
    """The clinic's rules: added and changed only with valid templates."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, draft: RuleDraft) -> ReminderRule:
        _check_rule(draft)
        rule = ReminderRule(
            name=draft.name,
            kind=draft.kind,
            enabled=draft.enabled,
            days=draft.days,
            minutes=draft.minutes,
            at_local=draft.at_local,
            same_day_only=draft.same_day_only,
            status=draft.status,
            service_ids=list(draft.service_ids),
            event=draft.event,
            templates=check(draft.templates),
            sets_status=draft.sets_status,
            with_actions=draft.with_actions,
            created_at=self.clock.now(),
        )

        async def work(session: AsyncSession) -> ReminderRule:
            session.add(rule)
            await session.flush()
            return rule

        return await self.db.write(work)

    async def set_templates(self, rule_id: int, templates: dict[str, str]) -> ReminderRule:
        checked = check(templates)

        async def work(session: AsyncSession) -> ReminderRule:
            rule = await session.get(ReminderRule, rule_id)
            if rule is None:
                raise NotFound("no such rule")
            rule.templates = checked
            return rule

        return await self.db.write(work)

    async def set_enabled(self, rule_id: int, enabled: bool) -> None:
        async def work(session: AsyncSession) -> None:
            rule = await session.get(ReminderRule, rule_id)
            if rule is None:
                raise NotFound("no such rule")
            rule.enabled = enabled

        await self.db.write(work)

    async def all(self) -> list[ReminderRule]:
        async with self.db.read() as session:
            return list((await session.execute(select(ReminderRule))).scalars())

    async def raise_event(self, patient_id: int, event: PatientEvent, reference: str) -> int:
        """Staff or an integration says `event` happened (`reference`: their id for it, so
        saying it twice is once). Returns how many notifications it made."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            rules = (
                await session.execute(
                    select(ReminderRule).where(
                        col(ReminderRule.enabled), col(ReminderRule.event) == event
                    )
                )
            ).scalars()
            rows = [
                notification_row(
                    f"r{rule.id}:e:{event}:{patient_id}:{reference}"[:160],
                    rule_id=rule.id,
                    patient_id=patient_id,
                    due_at=now,
                    topic=REMINDER,
                )
                for rule in rules
            ]
            return await insert_notifications(session, rows, now)

        return await self.db.write(work)


def default_rules() -> list[RuleDraft]:
    """What a new clinic starts with, after Poland's central e-registration (CeR) and the
    NHS: a text 1 day and 7 days before the visit, each two-way (the patient confirms,
    cancels or asks to move it by replying: `core.messaging.sms_replies`). Only clinic,
    address, date and time are said: never what the visit is for."""
    return [
        RuleDraft(
            name="Day before the visit",
            kind=RuleKind.DAYS_BEFORE,
            days=1,
            at_local=time(18, 0),
            sets_status=CommunicationStatus.REMINDER_SENT,
            with_actions=True,
            templates={
                "pl": "{{ clinic }}: przypominamy o wizycie {{ date }} o {{ time }}, "
                "{{ address }}.",
                "uk": "{{ clinic }}: нагадуємо про візит {{ date }} о {{ time }}, {{ address }}.",
                "ru": "{{ clinic }}: напоминаем о визите {{ date }} в {{ time }}, {{ address }}.",
                "en": "{{ clinic }}: a reminder of your visit on {{ date }} at {{ time }}, "
                "{{ address }}.",
            },
        ),
        RuleDraft(
            name="Seven days before the visit",
            kind=RuleKind.DAYS_BEFORE,
            days=7,
            at_local=time(18, 0),
            sets_status=CommunicationStatus.REMINDER_SENT,
            with_actions=True,
            templates={
                "pl": "{{ clinic }}: za tydzień, {{ date }} o {{ time }}, wizyta, {{ address }}.",
                "uk": "{{ clinic }}: через тиждень, {{ date }} о {{ time }}, візит, {{ address }}.",
                "ru": "{{ clinic }}: через неделю, {{ date }} в {{ time }}, визит, {{ address }}.",
                "en": "{{ clinic }}: your visit is in a week, on {{ date }} at {{ time }}, "
                "{{ address }}.",
            },
        ),
        RuleDraft(
            name="Two hours before a visit booked the same day",
            kind=RuleKind.MINUTES_BEFORE,
            minutes=120,
            same_day_only=True,
            sets_status=CommunicationStatus.REMINDER_SENT,
            templates={
                "pl": "{{ clinic }}: dziś o {{ time }}, {{ address }}.",
                "uk": "{{ clinic }}: сьогодні о {{ time }}, {{ address }}.",
                "ru": "{{ clinic }}: сегодня в {{ time }}, {{ address }}.",
                "en": "{{ clinic }}: today at {{ time }}, {{ address }}.",
            },
        ),
        RuleDraft(
            name="Lab result ready",
            kind=RuleKind.EVENT,
            event=PatientEvent.LAB_RESULT_READY,
            templates={
                "pl": "{{ clinic }}: mamy dla Pana/Pani nowy dokument. Można go otworzyć w "
                "czacie w „Moje dokumenty” lub w rejestracji.",
                "uk": "{{ clinic }}: для Вас є новий документ. Його можна відкрити в чаті в "
                "«Мої документи» або в реєстратурі.",
                "ru": "{{ clinic }}: для Вас есть новый документ. Его можно открыть в чате в "
                "«Мои документы» или в регистратуре.",
                "en": "{{ clinic }}: a new document is ready for you. You can open it in the "
                "chat under “My documents” or at the desk.",
            },
        ),
    ]


async def install_defaults(rules: ReminderRules) -> None:
    """Give a clinic without rules the default ones."""
    if not await rules.all():
        for draft in default_rules():
            await rules.add(draft)
