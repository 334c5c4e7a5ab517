"""The desk's inbox: the escalated conversations to answer, each in a member's scope (a
case belongs to a branch, or to none: every registrar's), and a stamp that changes
whenever one opens, is taken, closed or gets a message.

The stamp is read from the database, so every server process sees the same
one: a page that polls it (the dashboard's event stream) learns of a case
opened through any process without an in-process notifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlmodel import col

from core.db.database import Database
from core.desk.scope import StaffScope
from core.errors import NotFound
from core.messaging.escalation import ACTIVE
from core.models import Escalation, EscalationMessage, Patient
from core.vocab import EscalationStatus

MAX_CASES = 200


@dataclass(frozen=True)
class InboxItem:
    case: Escalation
    patient_name: str | None  # None: the chat is not linked to a card
    last_text: str
    last_at: datetime


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def cases(
        self,
        scope: StaffScope,
        statuses: tuple[EscalationStatus, ...] = ACTIVE,
        limit: int = MAX_CASES,
        offset: int = 0,
    ) -> list[InboxItem]:
        """Cases in `statuses`, the longest waiting first, each with its latest message."""
        statement = (
            _items()
            .where(
                col(Escalation.status).in_([s.value for s in statuses]),
                scope.desk_rows(Escalation.branch_id),
            )
            .order_by(col(Escalation.created_at), col(Escalation.id))
            .limit(min(limit, MAX_CASES))
            .offset(max(offset, 0))
        )
        async with self.db.read() as session:
            return [_item(*found) for found in (await session.execute(statement)).all()]

    async def case(self, scope: StaffScope, escalation_id: int) -> InboxItem:
        """The case, if it is in the member's scope; else `NotFound`."""
        async with self.db.read() as session:
            found = (
                await session.execute(
                    _items().where(
                        col(Escalation.id) == escalation_id, scope.desk_rows(Escalation.branch_id)
                    )
                )
            ).first()
        if found is None:
            raise NotFound("no such escalation")
        return _item(*found)

    async def stamp(self) -> str:
        """Changes when a case opens, changes status or gets a message; cheap to poll."""
        async with self.db.read() as session:
            newest_case, newest_message = (
                await session.execute(
                    select(
                        select(func.max(Escalation.id)).scalar_subquery(),
                        select(func.max(EscalationMessage.id)).scalar_subquery(),
                    )
                )
            ).one()
            counts = (
                await session.execute(
                    select(col(Escalation.status), func.count())
                    .where(col(Escalation.status).in_([s.value for s in ACTIVE]))
                    .group_by(col(Escalation.status))
                )
            ).all()
        by_status = {str(status): count for status, count in counts}
        return "-".join(
            str(part)
            for part in (
                newest_case or 0,
                newest_message or 0,
                by_status.get(EscalationStatus.OPEN, 0),
                by_status.get(EscalationStatus.TAKEN, 0),
            )
        )


def _items() -> Select[Escalation, Patient | None, EscalationMessage | None]:
    """Each case with its card (if linked) and its latest message (if any)."""
    last = (
        select(
            col(EscalationMessage.escalation_id).label("case_id"),
            func.max(EscalationMessage.id).label("message_id"),
        )
        .group_by(col(EscalationMessage.escalation_id))
        .subquery()
    )
    return (
        select(Escalation, Patient, EscalationMessage)
        .outerjoin(Patient, col(Patient.id) == col(Escalation.patient_id))
        .outerjoin(last, last.c.case_id == col(Escalation.id))
        .outerjoin(EscalationMessage, col(EscalationMessage.id) == last.c.message_id)
    )


def _item(
    case: Escalation, patient: Patient | None, message: EscalationMessage | None
) -> InboxItem:
    return InboxItem(
        case=case,
        patient_name=f"{patient.first_name} {patient.last_name}" if patient else None,
        last_text=message.text if message else "",
        last_at=message.at if message else case.created_at,
    )
