"""Linking codes (seed 002): a 9-digit code binds a messenger chat to a patient's card.

Codes are random, single-use, expire, and are stored only as a keyed hash.
Redeeming is throttled per chat; asking for a code by name and date of birth
is throttled per chat and per card, and never reveals whether a card exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import LinkCodeInvalid, NotFound, Throttled
from core.models import Contact, LinkCode, Patient
from core.patients.cards import attach_contact
from core.patients.identity import fold_name
from core.throttle import Limit, bump
from core.vocab import Channel, ContactKind, contact_kind

CODE_DIGITS = 9


@dataclass(frozen=True)
class LinkPolicy:
    code_ttl: timedelta = timedelta(minutes=15)
    redeem_per_chat: Limit = Limit(5, timedelta(minutes=15))
    requests_per_chat: Limit = Limit(3, timedelta(hours=1))
    requests_per_card: Limit = Limit(3, timedelta(hours=1))


@dataclass(frozen=True)
class IssuedCode:
    """A fresh code, shown once, and where to send it: preferred contact first."""

    patient_id: int
    code: str
    expires_at: datetime
    contacts: list[Contact]


class LinkingService:
    def __init__(
        self, db: Database, clock: Clock, secret: bytes, policy: LinkPolicy | None = None
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the linking secret must have at least 16 bytes")
        self.db = db
        self.clock = clock
        self._secret = secret
        self.policy = policy or LinkPolicy()

    def _hash(self, code: str) -> str:
        return hmac.new(self._secret, code.encode(), hashlib.sha256).hexdigest()

    async def issue(self, patient_id: int) -> IssuedCode:
        """A new code for a card (the desk hands it over); older unused codes stop working."""

        async def work(session: AsyncSession) -> IssuedCode:
            if await session.get(Patient, patient_id) is None:
                raise NotFound("no such patient")
            return await self._issue(session, patient_id)

        return await self.db.write(work)

    async def request(
        self, channel: Channel, chat_id: str, first_name: str, last_name: str, birth_date: date
    ) -> IssuedCode | None:
        """A code for the card with these details, or None; the caller tells the patient
        the same either way ("if the details match, a code is on its way")."""
        now = self.clock.now()
        wanted = (fold_name(first_name), fold_name(last_name))

        async def work(session: AsyncSession) -> IssuedCode | None:
            if not await bump(
                session, f"code-request:{channel}:{chat_id}", self.policy.requests_per_chat, now
            ):
                raise Throttled("too many code requests from this chat")
            candidates = (
                await session.execute(select(Patient).where(col(Patient.birth_date) == birth_date))
            ).scalars()
            match = next(
                (
                    p
                    for p in candidates
                    if (fold_name(p.first_name), fold_name(p.last_name)) == wanted
                ),
                None,
            )
            if match is None or match.id is None:
                return None
            if not await bump(
                session, f"code-request-card:{match.id}", self.policy.requests_per_card, now
            ):
                return None  # silently: the asker must not learn that this card exists
            return await self._issue(session, match.id)

        return await self.db.write(work)

    async def redeem(self, channel: Channel, chat_id: str, code: str) -> int:
        """Bind the chat to the code's card; the card's id. Wrong guesses are throttled."""
        kind = contact_kind(channel)
        now = self.clock.now()
        digits = "".join(ch for ch in code if not ch.isspace() and ch != "-")

        async def check(session: AsyncSession) -> None:
            if not await bump(
                session, f"code-redeem:{channel}:{chat_id}", self.policy.redeem_per_chat, now
            ):
                raise Throttled("too many attempts from this chat")

        # The attempt is counted in its own transaction: a wrong code must not roll it back.
        await self.db.write(check)
        if len(digits) != CODE_DIGITS or not digits.isdigit():
            raise LinkCodeInvalid("not a linking code")

        async def work(session: AsyncSession) -> int:
            used = await session.execute(
                update(LinkCode)
                .where(
                    col(LinkCode.code_hash) == self._hash(digits),
                    col(LinkCode.used_at).is_(None),
                    col(LinkCode.expires_at) > now,
                )
                .values(used_at=now)
                .returning(col(LinkCode.patient_id))
            )
            patient_id = used.scalar_one_or_none()
            if patient_id is None:
                raise LinkCodeInvalid("wrong, expired or used code")
            await _unbind(session, kind, chat_id)
            await attach_contact(session, patient_id, kind, chat_id, priority=0, verified=True)
            return patient_id

        return await self.db.write(work)

    async def linked_patient(self, channel: Channel, chat_id: str) -> int | None:
        kind = contact_kind(channel)
        async with self.db.read() as session:
            row = await session.execute(
                select(col(Contact.patient_id)).where(
                    col(Contact.kind) == kind, col(Contact.value) == chat_id
                )
            )
            return row.scalar_one_or_none()

    async def unlink(self, channel: Channel, chat_id: str) -> None:
        kind = contact_kind(channel)

        async def work(session: AsyncSession) -> None:
            await _unbind(session, kind, chat_id)

        await self.db.write(work)

    async def _issue(self, session: AsyncSession, patient_id: int) -> IssuedCode:
        now = self.clock.now()
        await session.execute(
            delete(LinkCode).where(
                col(LinkCode.patient_id) == patient_id, col(LinkCode.used_at).is_(None)
            )
        )
        expires_at = now + self.policy.code_ttl
        while True:  # a hash collision with a live code is a one-in-a-billion retry
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            inserted = await session.execute(
                insert_or_skip(session, LinkCode, "code_hash")
                .values(
                    patient_id=patient_id,
                    code_hash=self._hash(code),
                    created_at=now,
                    expires_at=expires_at,
                )
                .returning(col(LinkCode.id))
            )
            if inserted.first() is not None:
                break
        contacts = (
            await session.execute(
                select(Contact)
                .where(col(Contact.patient_id) == patient_id, col(Contact.kind) != ContactKind.WEB)
                .order_by(col(Contact.priority), col(Contact.id))
            )
        ).scalars()
        return IssuedCode(patient_id, code, expires_at, list(contacts))


async def _unbind(session: AsyncSession, kind: ContactKind, chat_id: str) -> None:
    await session.execute(
        delete(Contact).where(col(Contact.kind) == kind, col(Contact.value) == chat_id)
    )
