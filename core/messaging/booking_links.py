"""Single-use booking links: a signed address that lets one patient book one visit, among
the services or doctors the sender chose, without signing in.

The token is `<link id>-<signature>`: an HMAC of the id and the row's random salt under
the server's secret. A forged or altered token fails the signature before any lookup;
the token itself is never stored (the dispatcher signs it again to send it), and it
names no patient. A link expires (7 days by default) and books once: the booking and
the conditional UPDATE that spends the link are one transaction (`BookingService.book`'s
`also`), so two uses at once make one visit, and a time taken meanwhile leaves the link
unspent for the next free time.

A link may be sent to a phone with no card (a caller, a recall list): the patient gives
their names on the page and a card is made with that phone, or the phone's card is used.
A link that `moves` a visit moves it instead of booking a new one (a reply to a reminder).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.clock import Clock
from core.db.database import Database
from core.errors import BookingLinkInvalid, InvalidInput, NotFound
from core.messaging import consent
from core.messaging.link_tokens import LinkSigner
from core.messaging.port import BOOKING_LINK
from core.messaging.queue import insert_notifications, notification_row
from core.models import Booking, BookingLink, Conversation, Patient
from core.patients.cards import PatientDraft, PatientService
from core.patients.identity import normalize_phone
from core.vocab import Channel, ContactKind, LinkOrigin

DEFAULT_TTL = timedelta(days=7)
_CHUNK = 400  # links per INSERT: far under SQLite's limit on bound values (13 a row)
WHATSAPP_WINDOW = timedelta(hours=24)  # WhatsApp takes free text only this long after the chat
# How a link books: on the web, as the patient (the slots open to the web are offered).
LINK_CHANNEL = Channel.WEB


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenLink:
    """What the booking page may know of a valid link: its choices, never the patient's
    data (`known_patient` only says whether the page must ask for names)."""

    link_id: int
    language: str
    service_ids: tuple[int, ...]  # empty: any service
    doctor_ids: tuple[int, ...]  # empty: any doctor
    expires_at: datetime
    known_patient: bool
    moves_booking_id: int | None


@dataclass(frozen=True)
class Recipient:
    """One number of a recall list: its card when one is known, the name the list gave."""

    phone: str  # E.164
    patient_id: int | None = None
    name: str = ""
    language: str = "pl"


@dataclass(frozen=True)
class Newcomer:
    """Who books through a link sent to a phone with no card."""

    first_name: str
    last_name: str


class BookingLinks:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        signer: LinkSigner,
        booking: BookingService,
        patients: PatientService,
        *,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signer = signer
        self.booking = booking
        self.patients = patients
        self.ttl = ttl

    async def issue(
        self,
        *,
        origin: LinkOrigin,
        created_by: str,
        patient_id: int | None = None,
        phone: str | None = None,
        service_ids: Sequence[int] = (),
        doctor_ids: Sequence[int] = (),
        language: str | None = None,
        ttl: timedelta | None = None,
        origin_id: int | None = None,
        campaign_id: int | None = None,
        moves_booking_id: int | None = None,
    ) -> IssuedLink:
        """A new link for a card (`patient_id`) or a phone without one; its URL is shown
        once here and signed again whenever it is sent. `service_ids`/`doctor_ids` limit
        what it books (empty: anything open to the web); `moves_booking_id`: a visit of
        that card it moves instead. `language`: the page's and message's, else the card's."""
        if patient_id is None and phone is None:
            raise InvalidInput("a booking link needs a card or a phone")
        now = self.clock.now()
        expires_at = now + (ttl or self.ttl)
        number = normalize_phone(phone) if phone is not None else None

        async def work(session: AsyncSession) -> BookingLink:
            lang = language
            if patient_id is not None:
                patient = await session.get(Patient, patient_id)
                if patient is None:
                    raise NotFound("no such patient")
                lang = lang or patient.language
            if moves_booking_id is not None:
                visit = await session.get(Booking, moves_booking_id)
                if visit is None or visit.patient_id != patient_id:
                    raise NotFound("no such booking")
            link = BookingLink(
                salt=secrets.token_hex(16),
                patient_id=patient_id,
                phone=number,
                language=lang or "pl",
                service_ids=sorted(set(service_ids)),
                doctor_ids=sorted(set(doctor_ids)),
                moves_booking_id=moves_booking_id,
                origin=origin,
                origin_id=origin_id,
                campaign_id=campaign_id,
                created_by=created_by[:100],
                created_at=now,
                expires_at=expires_at,
            )
            session.add(link)
            await session.flush()
            return link

        link = await self.db.write(work)
        assert link.id is not None
        return IssuedLink(link.id, self.signer.url(link), expires_at)

    async def issue_many(
        self,
        recipients: Sequence[Recipient],
        *,
        campaign_id: int,
        created_by: str,
        service_ids: Sequence[int] = (),
        doctor_ids: Sequence[int] = (),
    ) -> int:
        """A link for each recipient of a recall campaign, each queued to its number (by
        WhatsApp where the number chats with us, else SMS), in one transaction of a few
        multi-row statements; how many were queued. The dispatcher delivers them at the
        senders' pace."""
        now = self.clock.now()
        expires_at = now + self.ttl
        on_whatsapp = await self._chatting({r.phone for r in recipients})

        async def work(session: AsyncSession) -> int:
            rows = []
            for start in range(0, len(recipients), _CHUNK):
                chunk = recipients[start : start + _CHUNK]
                inserted = await session.execute(
                    insert(BookingLink)
                    .values(
                        [
                            {
                                "salt": secrets.token_hex(16),
                                "patient_id": r.patient_id,
                                "phone": r.phone,
                                "recipient_name": r.name[:200] or None,
                                "language": r.language,
                                "service_ids": sorted(set(service_ids)),
                                "doctor_ids": sorted(set(doctor_ids)),
                                "origin": LinkOrigin.CAMPAIGN,
                                "origin_id": campaign_id,
                                "campaign_id": campaign_id,
                                "created_by": created_by[:100],
                                "created_at": now,
                                "expires_at": expires_at,
                            }
                            for r in chunk
                        ]
                    )
                    .returning(
                        col(BookingLink.id), col(BookingLink.phone), col(BookingLink.patient_id)
                    )
                )
                for link_id, phone, patient_id in inserted.all():
                    channel = Channel.WHATSAPP if phone in on_whatsapp else Channel.SMS
                    rows.append(
                        notification_row(
                            f"booking-link:{link_id}:{channel}",
                            patient_id=patient_id,
                            to_channel=channel,
                            to_address=phone,
                            subject_id=link_id,
                            expires_at=expires_at,
                        )
                        | {"topic": BOOKING_LINK, "due_at": now, "params": {consent.RECALL: True}}
                    )
            return await insert_notifications(session, rows, now)

        return await self.db.write(work)

    async def _chatting(self, phones: set[str]) -> set[str]:
        """The numbers among `phones` that wrote to us on WhatsApp within its window."""
        since = self.clock.now() - WHATSAPP_WINDOW
        found: set[str] = set()
        wanted = sorted(phones)
        async with self.db.read() as session:
            for start in range(0, len(wanted), 500):
                rows = await session.execute(
                    select(col(Conversation.chat_id)).where(
                        col(Conversation.channel) == Channel.WHATSAPP,
                        col(Conversation.chat_id).in_(wanted[start : start + 500]),
                        col(Conversation.last_inbound_at) >= since,
                    )
                )
                found.update(rows.scalars())
        return found

    async def send(self, link_id: int, channel: Channel, address: str) -> bool:
        """Queue the link's message to `address` by SMS or WhatsApp, once per link and
        channel (the dispatcher delivers it, paced); whether it was newly queued."""
        if channel not in (Channel.SMS, Channel.WHATSAPP):
            raise InvalidInput("a booking link goes by SMS or WhatsApp")
        now = self.clock.now()
        number = normalize_phone(address)

        async def work(session: AsyncSession) -> int:
            link = await session.get(BookingLink, link_id)
            if link is None:
                raise NotFound("no such link")
            row = notification_row(
                f"booking-link:{link_id}:{channel}",
                patient_id=link.patient_id,
                to_channel=channel,
                to_address=number,
                subject_id=link_id,
                expires_at=link.expires_at,
            )
            return await insert_notifications(
                session, [row | {"topic": BOOKING_LINK, "due_at": now}], now
            )

        return await self.db.write(work) == 1

    async def channel_for(self, phone: str) -> Channel:
        """WhatsApp when the number wrote to us within WhatsApp's 24-hour window (free text
        reaches it), else SMS."""
        number = normalize_phone(phone)
        return Channel.WHATSAPP if await self._chatting({number}) else Channel.SMS

    async def open(self, token: str) -> OpenLink:
        """The link behind a token, if it is genuine, unexpired and unused; otherwise
        `BookingLinkInvalid` with the reason ("forged", "expired", "used")."""
        link = await self._load(token)
        return OpenLink(
            link_id=link.id or 0,
            language=link.language,
            service_ids=tuple(link.service_ids),
            doctor_ids=tuple(link.doctor_ids),
            expires_at=link.expires_at,
            known_patient=link.patient_id is not None,
            moves_booking_id=link.moves_booking_id,
        )

    async def book(
        self,
        token: str,
        *,
        service_id: int,
        doctor_id: int,
        start_at: datetime,
        newcomer: Newcomer | None = None,
    ) -> Booking:
        """Book (or move) through the link, spending it in the same transaction.

        Raises `BookingLinkInvalid` (forged, expired, used: also when another use won a
        race), `InvalidInput` for a service or doctor the link does not offer or names
        missing, and the booking's own errors (`SlotTaken`...), which leave it unspent."""
        link = await self._load(token)
        if link.service_ids and service_id not in link.service_ids:
            raise InvalidInput("this link does not offer that service", field="service")
        if link.doctor_ids and doctor_id not in link.doctor_ids:
            raise InvalidInput("this link does not offer that doctor", field="doctor")
        patient_id = link.patient_id or await self._card_for(link, newcomer)
        actor = Actor.patient(patient_id, LINK_CHANNEL)
        assert link.id is not None
        spend = _Spend(link.id)
        if link.moves_booking_id is not None:
            return await self.booking.reschedule(
                actor, link.moves_booking_id, doctor_id=doctor_id, start_at=start_at, also=spend
            )
        request = VisitRequest(patient_id, service_id, doctor_id, start_at)
        return await self.booking.book(actor, request, also=spend)

    async def _load(self, token: str) -> BookingLink:
        link_id, signature = self.signer.link_id(token)
        async with self.db.read() as session:
            link = self.signer.verify(await session.get(BookingLink, link_id), signature)
        if link.used_at is not None:
            raise BookingLinkInvalid("used")
        if link.expires_at <= self.clock.now():
            raise BookingLinkInvalid("expired")
        return link

    async def _card_for(self, link: BookingLink, newcomer: Newcomer | None) -> int:
        """The card of the phone the link went to, or a new one with the names given; the
        link keeps it, so a second try (a time taken meanwhile) makes no second card."""
        assert link.phone is not None
        assert link.id is not None
        found = await self.patients.find_by_contact(ContactKind.PHONE, link.phone)
        if found is None:
            if newcomer is None:
                raise InvalidInput("names are required", field="names")
            found = await self.patients.register(
                PatientDraft(
                    first_name=newcomer.first_name,
                    last_name=newcomer.last_name,
                    language=link.language,
                    contacts={ContactKind.PHONE: link.phone},
                    needs_verification=True,
                )
            )
        assert found.id is not None
        patient_id = found.id

        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(BookingLink)
                .where(col(BookingLink.id) == link.id, col(BookingLink.patient_id).is_(None))
                .values(patient_id=patient_id)
            )

        await self.db.write(work)
        return patient_id


@dataclass(frozen=True)
class _Spend:
    """The step that spends a link inside the booking's transaction: one conditional
    UPDATE; no row changed means another use won (or it expired), and the booking rolls
    back with it."""

    link_id: int

    async def __call__(self, session: AsyncSession, booking: Booking) -> None:
        now = booking.updated_at
        spent = await session.execute(
            update(BookingLink)
            .where(
                col(BookingLink.id) == self.link_id,
                col(BookingLink.used_at).is_(None),
                col(BookingLink.expires_at) > now,
            )
            .values(used_at=now, booking_id=booking.id)
            .returning(col(BookingLink.id))
        )
        if spent.first() is None:
            raise BookingLinkInvalid("used")
