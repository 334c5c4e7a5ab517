"""Escalations: conversations the machine hands to the registration desk.

A patient asks for a person, or the machine fails to understand twice; the
desk sees the transcript, takes the case and replies. A reply becomes an
outbox event that the patient's channel delivers, so the desk never needs
to know how to reach Telegram or WhatsApp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clinic.hours import is_open, next_opening
from core.clock import Clock
from core.db.database import Database
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.journal import emit
from core.models import Booking, Branch, Escalation, EscalationMessage
from core.vocab import Channel, EscalationStatus, EventKind

MAX_TEXT = 4096
ACTIVE = (EscalationStatus.OPEN, EscalationStatus.TAKEN)


@dataclass(frozen=True)
class DeskOpens:
    """When a closed desk answers next: the local opening time and the branch's zone."""

    at: datetime
    timezone: str


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("an empty message")
    return text[:MAX_TEXT]


class EscalationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def open(
        self,
        channel: Channel,
        chat_id: str,
        *,
        reason: str,
        language: str,
        patient_id: int | None = None,
        branch_id: int | None = None,
        transcript: Sequence[tuple[str, str]] = (),
    ) -> Escalation:
        """Hand the chat to the desk, or return its case that is still open. The case
        belongs to `branch_id` (the branch the patient chose in the chat), else to the
        branch of the patient's last visit, else to no branch (every registrar's)."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> Escalation:
            current = await _active(session, channel, chat_id)
            if current is not None:
                return current
            chosen = (
                branch_id
                if branch_id is not None
                else await _last_visit_branch(session, patient_id)
            )
            if chosen is not None and await session.get(Branch, chosen) is None:
                chosen = None  # a branch the chat remembers that is gone since
            case = Escalation(
                channel=channel,
                chat_id=chat_id,
                patient_id=patient_id,
                branch_id=chosen,
                language=language,
                reason=reason,
                created_at=now,
            )
            session.add(case)
            await session.flush()
            assert case.id is not None
            for author, text in transcript:
                session.add(
                    EscalationMessage(
                        escalation_id=case.id, at=now, author=author, text=text[:MAX_TEXT]
                    )
                )
            emit(
                session,
                EventKind.ESCALATION_OPENED,
                at=now,
                escalation_id=case.id,
                channel=channel,
                reason=reason,
            )
            return case

        return await self.db.write(work)

    async def active(self, channel: Channel, chat_id: str) -> Escalation | None:
        async with self.db.read() as session:
            return await _active(session, channel, chat_id)

    async def patient_says(self, escalation_id: int, text: str) -> None:
        body = _clean(text)

        async def work(session: AsyncSession) -> None:
            await _load(session, escalation_id, active=True)
            session.add(
                EscalationMessage(
                    escalation_id=escalation_id, at=self.clock.now(), author="patient", text=body
                )
            )

        await self.db.write(work)

    async def take(self, escalation_id: int, staff_login: str) -> Escalation:
        """The member answers the case from now on; one taken by someone else is refused
        (reason "taken"), taking one's own again changes nothing. Under the case's row
        lock, so two members taking it at once cannot both have it."""

        async def work(session: AsyncSession) -> Escalation:
            case = await _load(session, escalation_id, active=True)
            if case.taken_by not in (None, staff_login):
                raise InvalidTransition("the conversation is taken", reason="taken")
            case.status, case.taken_by = EscalationStatus.TAKEN, staff_login
            return case

        return await self.db.write(work)

    async def reply(self, escalation_id: int, staff_login: str, text: str) -> EscalationMessage:
        """The desk answers; the patient's channel delivers it from the outbox."""
        body = _clean(text)
        now = self.clock.now()

        async def work(session: AsyncSession) -> EscalationMessage:
            case = await _load(session, escalation_id, active=True)
            if case.status is EscalationStatus.OPEN:
                case.status, case.taken_by = EscalationStatus.TAKEN, staff_login
            message = EscalationMessage(
                escalation_id=escalation_id,
                at=now,
                author="staff",
                staff_login=staff_login,
                text=body,
            )
            session.add(message)
            await session.flush()
            emit(
                session,
                EventKind.ESCALATION_REPLY,
                at=now,
                escalation_id=escalation_id,
                message_id=message.id,
                channel=case.channel,
                chat_id=case.chat_id,
                language=case.language,
            )
            return message

        return await self.db.write(work)

    async def desk_opens(self, branch_id: int | None) -> DeskOpens | None:
        """When the desk answers a case of `branch_id` (None: any branch's desk), if it
        is closed now; None while it is open, or when no opening hours are known."""
        now = self.clock.now()
        async with self.db.read() as session:
            statement = select(Branch).order_by(col(Branch.id))
            if branch_id is not None:
                statement = statement.where(col(Branch.id) == branch_id)
            branches = list((await session.execute(statement)).scalars())
        if any(is_open(b, now) for b in branches):
            return None
        openings = [
            DeskOpens(at, b.timezone) for b in branches if (at := next_opening(b, now)) is not None
        ]
        return min(openings, key=lambda o: o.at) if openings else None

    async def close(self, escalation_id: int) -> None:
        async def work(session: AsyncSession) -> None:
            case = await _load(session, escalation_id, active=True)
            case.status, case.closed_at = EscalationStatus.CLOSED, self.clock.now()

        await self.db.write(work)

    async def transcript(self, escalation_id: int) -> list[EscalationMessage]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(EscalationMessage)
                .where(col(EscalationMessage.escalation_id) == escalation_id)
                .order_by(col(EscalationMessage.id))
            )
            return list(rows.scalars())

    async def desk_replies(
        self, channel: Channel, chat_id: str, after: int = 0, limit: int = 20
    ) -> list[EscalationMessage]:
        """The desk's replies in one chat after message `after`, oldest first: what a
        channel that fetches its messages (the web chat) has not shown yet."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(EscalationMessage)
                .join(Escalation, col(Escalation.id) == col(EscalationMessage.escalation_id))
                .where(
                    col(Escalation.channel) == channel,
                    col(Escalation.chat_id) == chat_id,
                    col(EscalationMessage.author) == "staff",
                    col(EscalationMessage.id) > after,
                )
                .order_by(col(EscalationMessage.id))
                .limit(limit)
            )
            return list(rows.scalars())

    async def message(self, message_id: int) -> EscalationMessage:
        async with self.db.read() as session:
            found = await session.get(EscalationMessage, message_id)
        if found is None:
            raise NotFound("no such message")
        return found


async def _last_visit_branch(session: AsyncSession, patient_id: int | None) -> int | None:
    """The branch of the patient's latest visit (by its time, whatever its status)."""
    if patient_id is None:
        return None
    found = await session.execute(
        select(col(Booking.branch_id))
        .where(col(Booking.patient_id) == patient_id)
        .order_by(col(Booking.start_at).desc(), col(Booking.id).desc())
        .limit(1)
    )
    return found.scalar_one_or_none()


async def _active(session: AsyncSession, channel: Channel, chat_id: str) -> Escalation | None:
    rows = await session.execute(
        select(Escalation).where(
            col(Escalation.channel) == channel,
            col(Escalation.chat_id) == chat_id,
            col(Escalation.status).in_([s.value for s in ACTIVE]),
        )
    )
    return rows.scalars().first()


async def _load(session: AsyncSession, escalation_id: int, *, active: bool) -> Escalation:
    case = await session.get(Escalation, escalation_id, with_for_update=True)
    if case is None:
        raise NotFound("no such escalation")
    if active and case.status not in ACTIVE:
        raise InvalidTransition("the conversation is closed")
    return case
