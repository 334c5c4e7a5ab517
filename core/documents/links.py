"""Signed links by which a patient, or someone their consent names, opens one document.

A link is `<id>.<nonce>.<mac>`: the HMAC (SECRET_KEY) turns forged links away before
the database is asked, the nonce is kept only as a hash, and the row says whose link it
is, when it expires and whether it was used. It opens once, only before it expires, and
only after a second check: the patient's date of birth, or a code sent by SMS to the
card's phone (to the consent's phone for a grantee). Checks are throttled per link and
per card in the database, counted before they are read so parallel guesses all count;
a right answer gives its attempt back, so only failures use up the allowance. The
opening, the link's use and the access log's row are one transaction; a consent is
checked at that moment, so a revoked or expired one refuses at once.

Every refusal of a link (forged, unknown, expired, used) is the same `NotFound`: a
visitor learns nothing about which it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.documents import access
from core.documents.consents import in_force
from core.documents.service import Opened
from core.documents.store import DocumentStore
from core.errors import AuthenticationFailed, Forbidden, InvalidInput, NotFound, Throttled
from core.models import Contact, Document, DocumentGrant, DocumentLink, Patient
from core.throttle import Limit, bump, refund
from core.vocab import Channel, ContactKind, OpenerKind

CODE_DIGITS = 6
PATH = "/documents/open/{token}"
_MAC_CHARS = 22
GONE = "this link does not open anything"


class CodeSender(Protocol):
    """Sends a check code, or a document link, by SMS (the root wires the SMS channel in);
    neither message names the document."""

    async def send_code(self, phone: str, code: str, language: str) -> None: ...

    async def send_link(self, phone: str, url: str, language: str) -> None: ...


@dataclass(frozen=True)
class LinkPolicy:
    ttl: timedelta = timedelta(minutes=30)
    checks_per_link: Limit = Limit(5, timedelta(minutes=15))
    checks_per_card: Limit = Limit(10, timedelta(hours=1))
    codes_per_link: Limit = Limit(3, timedelta(minutes=15))


@dataclass(frozen=True)
class MintedLink:
    token: str
    expires_at: datetime

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + PATH.format(token=self.token)


@dataclass(frozen=True)
class LinkView:
    """What the opening page may show: which checks it offers and the phone's last digits."""

    language: str
    birth_date_check: bool
    phone_tail: str | None
    code_sent: bool


class DocumentLinks:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        store: DocumentStore,
        secret: bytes,
        sender: CodeSender | None = None,
        policy: LinkPolicy | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.store = store
        self._secret = secret
        self.sender = sender
        self.policy = policy or LinkPolicy()

    # -- minting --------------------------------------------------------------------------

    async def for_patient(self, patient_id: int, document_id: int, channel: Channel) -> MintedLink:
        """A link to one of the patient's own documents (anyone else's is not found)."""
        return await self._mint(patient_id, document_id, None, channel)

    async def for_grantee(self, grant_id: int, document_id: int, channel: Channel) -> MintedLink:
        """A link for the person a consent in force names, to a document of that patient."""
        async with self.db.read() as session:
            grant = (
                await session.execute(
                    select(DocumentGrant).where(
                        col(DocumentGrant.id) == grant_id, in_force(self.clock.now())
                    )
                )
            ).scalar_one_or_none()
        if grant is None:
            raise Forbidden("no consent in force", reason="no_consent")
        return await self._mint(grant.patient_id, document_id, grant_id, channel)

    async def send_by_sms(self, patient_id: int, document_id: int, base_url: str) -> None:
        """A link to the patient's document sent by SMS to the card's phone (the desk does
        this for a patient who has no messenger); `InvalidInput` without a phone."""
        async with self.db.read() as session:
            patient = await session.get(Patient, patient_id)
            phone = await self._card_phone(session, patient_id)
        if patient is None or phone is None or self.sender is None:
            raise InvalidInput("no phone to send the link to", reason="no_phone")
        link = await self._mint(patient_id, document_id, None, Channel.SMS)
        await self.sender.send_link(phone, link.url(base_url), patient.language)

    async def _mint(
        self, patient_id: int, document_id: int, grant_id: int | None, channel: Channel
    ) -> MintedLink:
        nonce = secrets.token_urlsafe(24)
        now = self.clock.now()
        expires = now + self.policy.ttl

        async def work(session: AsyncSession) -> int:
            document = await session.get(Document, document_id)
            if document is None or document.patient_id != patient_id:
                raise NotFound("no such document")
            link = DocumentLink(
                document_id=document_id,
                patient_id=patient_id,
                grant_id=grant_id,
                channel=channel,
                nonce_hash=_sha(nonce),
                expires_at=expires,
                created_at=now,
            )
            session.add(link)
            await session.flush()
            assert link.id is not None
            return link.id

        link_id = await self.db.write(work)
        return MintedLink(f"{link_id}.{nonce}.{self._mac(link_id, nonce)}", expires)

    def _mac(self, link_id: int, nonce: str) -> str:
        digest = hmac.new(self._secret, f"document|{link_id}|{nonce}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode()[:_MAC_CHARS]

    # -- reading a link -------------------------------------------------------------------

    def _link_id(self, token: str) -> tuple[int, str]:
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 200:
            raise NotFound(GONE)
        raw_id, nonce, mac = parts
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10):
            raise NotFound(GONE)
        if not hmac.compare_digest(mac.encode(), self._mac(int(raw_id), nonce).encode()):
            raise NotFound(GONE)
        return int(raw_id), nonce

    async def _live(self, session: AsyncSession, token: str) -> DocumentLink:
        link_id, nonce = self._link_id(token)
        link = await session.get(DocumentLink, link_id)
        if (
            link is None
            or not hmac.compare_digest(link.nonce_hash, _sha(nonce))
            or link.used_at is not None
            or link.expires_at <= self.clock.now()
        ):
            raise NotFound(GONE)
        return link

    async def look(self, token: str) -> LinkView:
        async with self.db.read() as session:
            link = await self._live(session, token)
            patient = await session.get(Patient, link.patient_id)
            assert patient is not None
            phone = await self._phone(session, link)
        return LinkView(
            language=patient.language,
            birth_date_check=link.grant_id is None and patient.birth_date is not None,
            phone_tail=phone[-3:] if phone else None,
            code_sent=link.code_hash is not None,
        )

    async def _phone(self, session: AsyncSession, link: DocumentLink) -> str | None:
        """Where the code goes: the consent's phone, or the card's first phone."""
        if link.grant_id is not None:
            grant = await session.get(DocumentGrant, link.grant_id)
            return grant.phone if grant is not None else None
        return await self._card_phone(session, link.patient_id)

    @staticmethod
    async def _card_phone(session: AsyncSession, patient_id: int) -> str | None:
        return (
            await session.execute(
                select(col(Contact.value))
                .where(
                    col(Contact.patient_id) == patient_id,
                    col(Contact.kind) == ContactKind.PHONE,
                )
                .order_by(col(Contact.priority), col(Contact.id))
                .limit(1)
            )
        ).scalar_one_or_none()

    # -- the second check ------------------------------------------------------------------

    async def send_code(self, token: str) -> None:
        """A new code by SMS for this link (a few per link, then `Throttled`)."""
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        now = self.clock.now()

        async def work(session: AsyncSession) -> tuple[str, str]:
            link = await self._live(session, token)
            phone = await self._phone(session, link)
            if phone is None or self.sender is None:
                raise InvalidInput("no phone to send a code to", reason="no_phone")
            if not await bump(session, f"doc-code:{link.id}", self.policy.codes_per_link, now):
                raise Throttled("too many codes asked for")
            link.code_hash = self._code_hash(link.id, code)
            patient = await session.get(Patient, link.patient_id)
            return phone, patient.language if patient is not None else "pl"

        phone, language = await self.db.write(work)
        assert self.sender is not None
        await self.sender.send_code(phone, code, language)

    def _code_hash(self, link_id: int | None, code: str) -> str:
        return hmac.new(self._secret, f"doc-code|{link_id}|{code}".encode(), "sha256").hexdigest()

    async def open(
        self, token: str, *, birth_date: date | None = None, code: str | None = None
    ) -> Opened:
        """The document, if the link is live and the check is right; the opening logged.

        `NotFound` for a dead link, `AuthenticationFailed` for a wrong answer, `Throttled`
        past the allowance, `Forbidden` when the consent is no longer in force."""
        link_id, _ = self._link_id(token)
        now = self.clock.now()
        async with self.db.read() as session:
            link = await self._live(session, token)
        scopes = (f"doc-check:{link_id}", f"doc-check-card:{link.patient_id}")

        async def count(session: AsyncSession) -> bool:
            per_link = await bump(session, scopes[0], self.policy.checks_per_link, now)
            return await bump(session, scopes[1], self.policy.checks_per_card, now) and per_link

        if not await self.db.write(count):
            raise Throttled("too many attempts: try again later")
        async with self.db.read() as session:
            link = await self._live(session, token)
            patient = await session.get(Patient, link.patient_id)
            document = await session.get(Document, link.document_id)
        if patient is None or document is None:
            raise NotFound(GONE)
        if not self._passes(link, patient, birth_date, code):
            raise AuthenticationFailed("the check did not match")
        content = await self.store.get(document.file_key)

        async def hand_over(session: AsyncSession) -> None:
            used = await session.execute(
                update(DocumentLink)
                .where(
                    col(DocumentLink.id) == link_id,
                    col(DocumentLink.used_at).is_(None),
                    col(DocumentLink.expires_at) > now,
                )
                .values(used_at=now)
            )
            if used.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(GONE)  # opened in parallel a moment ago: once only
            if link.grant_id is not None:
                consent = (
                    await session.execute(
                        select(col(DocumentGrant.id)).where(
                            col(DocumentGrant.id) == link.grant_id, in_force(now)
                        )
                    )
                ).scalar_one_or_none()
                if consent is None:
                    raise Forbidden("the consent is not in force", reason="no_consent")
            access.record(
                session,
                patient_id=link.patient_id,
                document_id=link.document_id,
                opener=OpenerKind.PATIENT if link.grant_id is None else OpenerKind.GRANTEE,
                opened_by=str(link.patient_id if link.grant_id is None else link.grant_id),
                grant_id=link.grant_id,
                channel=link.channel,
                at=now,
            )
            for scope in scopes:
                await refund(session, scope)

        await self.db.write(hand_over)
        return Opened(document, content)

    def _passes(
        self, link: DocumentLink, patient: Patient, birth_date: date | None, code: str | None
    ) -> bool:
        if code is not None and link.code_hash is not None:
            given = code.strip()[: CODE_DIGITS * 2]
            return hmac.compare_digest(self._code_hash(link.id, given), link.code_hash)
        if birth_date is not None and link.grant_id is None and patient.birth_date is not None:
            return birth_date == patient.birth_date
        return False


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
