"""Phone calls: the menu's state between Twilio's webhooks, kept by CallSid so any process
can take a call's next step, and the call's record for the desk's reports
(`core.calls.reports`: who called, for how long, the path through the menu, the outcome).

Identification by phone: the caller ID names a card, the date of birth typed on the
keypad confirms it; typed dates are throttled per number, so a spoofed caller ID does
not make the date guessable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import ConcurrentUpdate, NotFound, Throttled
from core.models import Call, Patient
from core.patients.phones import PhoneCards
from core.throttle import Limit, bump, refund
from core.vocab import CallOutcome

MAX_PATH = 200  # steps kept per call; a caller looping in the menu does not grow it further
BIRTH_DATE_TRIES = Limit(attempts=5, window=timedelta(hours=1))


@dataclass
class CallSnapshot:
    """A call as one step loaded it; `version` guards the save against a parallel step."""

    call_sid: str
    caller: str
    called: str
    branch_id: int | None
    language: str
    patient_id: int | None = None
    state: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    path: list[str] = field(default_factory=list)
    outcome: CallOutcome | None = None
    booking_id: int | None = None
    ended: bool = False

    def visit(self, step: str) -> None:
        if len(self.path) < MAX_PATH and (not self.path or self.path[-1] != step):
            self.path.append(step)


def _snapshot(row: Call) -> CallSnapshot:
    return CallSnapshot(
        call_sid=row.call_sid,
        caller=row.caller,
        called=row.called,
        branch_id=row.branch_id,
        language=row.language,
        patient_id=row.patient_id,
        state=dict(row.state),
        version=row.version,
        path=list(row.path),
        outcome=row.outcome,
        booking_id=row.booking_id,
        ended=row.ended_at is not None,
    )


class CallStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def start(
        self, call_sid: str, caller: str, called: str, branch_id: int | None, language: str
    ) -> CallSnapshot:
        """Record a new call, or load it when Twilio retries the first webhook."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> CallSnapshot:
            await session.execute(
                insert_or_skip(session, Call, "call_sid").values(
                    call_sid=call_sid,
                    caller=caller[:32],
                    called=called[:32],
                    branch_id=branch_id,
                    language=language,
                    state={},
                    version=0,
                    path=[],
                    started_at=now,
                    updated_at=now,
                )
            )
            return _snapshot(await _row(session, call_sid))

        return await self.db.write(work)

    async def load(self, call_sid: str) -> CallSnapshot:
        async with self.db.read() as session:
            return _snapshot(await _row(session, call_sid))

    async def save(self, call: CallSnapshot) -> None:
        """Store a step's result; `ConcurrentUpdate` if another step saved meanwhile."""
        values: dict[str, Any] = {
            "state": call.state,
            "version": call.version + 1,
            "language": call.language,
            "patient_id": call.patient_id,
            "path": call.path,
            "booking_id": call.booking_id,
            "updated_at": self.clock.now(),
        }
        if call.outcome is not None:  # never erase one that the call's end recorded
            values["outcome"] = call.outcome

        async def work(session: AsyncSession) -> None:
            saved = await session.execute(
                update(Call)
                .where(col(Call.call_sid) == call.call_sid, col(Call.version) == call.version)
                .values(**values)
                .returning(col(Call.id))
            )
            if saved.first() is None:
                raise ConcurrentUpdate("the call moved on meanwhile")

        await self.db.write(work)
        call.version += 1

    async def finish(self, call_sid: str, duration_seconds: int | None) -> CallSnapshot | None:
        """The call ended (Twilio's status callback): its length, and "abandoned" unless it
        achieved something. None for a call we never answered."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> CallSnapshot | None:
            row = (
                await session.execute(
                    select(Call).where(col(Call.call_sid) == call_sid).with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            if row.ended_at is None:
                row.ended_at = now
                row.duration_seconds = duration_seconds
                row.outcome = row.outcome or CallOutcome.ABANDONED
            return _snapshot(row)

        return await self.db.write(work)


async def _row(session: AsyncSession, call_sid: str) -> Call:
    row = (
        await session.execute(select(Call).where(col(Call.call_sid) == call_sid))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("no such call")
    return row


class Callers:
    """Who is calling: the card of the caller ID, confirmed by a typed date of birth."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def card_for(self, caller: str) -> Patient | None:
        """The card whose phone is the caller ID; None for an unknown or withheld number."""
        return await PhoneCards(self.db).card(caller)

    async def confirm(self, patient_id: int, caller: str, typed: str) -> bool:
        """Whether `typed` (DDMMYYYY) is the card's date of birth; `Throttled` after too
        many wrong tries from one number within the hour (a right one is not counted)."""
        now = self.clock.now()
        born = parse_birth_date(typed)
        scope = f"dob:{caller[:32]}"

        async def work(session: AsyncSession) -> bool:
            if not await bump(session, scope, BIRTH_DATE_TRIES, now):
                raise Throttled("too many dates of birth typed from this number")
            patient = await session.get(Patient, patient_id)
            right = patient is not None and born is not None and patient.birth_date == born
            if right:
                await refund(session, scope)
            return right

        return await self.db.write(work)


def parse_birth_date(typed: str) -> date | None:
    """DDMMYYYY as typed on a keypad, or None when it is no real date."""
    if len(typed) != 8 or not typed.isascii() or not typed.isdigit():
        return None
    try:
        return date(int(typed[4:]), int(typed[2:4]), int(typed[:2]))
    except ValueError:
        return None
