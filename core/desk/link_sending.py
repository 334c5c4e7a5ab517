"""The desk sends booking links: to one patient (from their card, a callback request or a
case) or to a list (a search result's cards, an uploaded recall list), and reads back a
campaign's report: who was sent one, whether it went, who booked.

Links go to a number the clinic already holds (the card's phone, the number that asked
for a callback, the WhatsApp chat of a case): the desk never types one in here, so a
link cannot be sent to a stranger by a slip. Messages are queued, and the dispatcher
sends them at the senders' pace within the provider's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db.database import Database
from core.desk.recall_lists import MAX_ROWS, ListedPerson
from core.desk.scope import StaffScope
from core.errors import InvalidInput, NotFound
from core.messaging.booking_links import BookingLinks, Recipient
from core.messaging.port import BOOKING_LINK
from core.models import (
    Booking,
    BookingLink,
    CallbackRequest,
    Contact,
    Doctor,
    Escalation,
    Notification,
    Patient,
    RecallCampaign,
    Service,
)
from core.vocab import Channel, ContactKind, LinkOrigin, NotificationStatus, StaffRole

DESK_ROLES = (StaffRole.REGISTRAR, StaffRole.ADMIN)
MAX_CHOICES = 50


@dataclass(frozen=True)
class LinkChoice:
    """What the link may book: some services, some doctors (empty: anything the web may)."""

    service_ids: tuple[int, ...] = ()
    doctor_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SentLink:
    link_id: int
    channel: Channel
    expires_at: datetime


@dataclass(frozen=True)
class CampaignStarted:
    campaign_id: int
    queued: int
    without_phone: int  # cards of the search result with no phone to text


@dataclass(frozen=True)
class CampaignRow:
    link_id: int
    patient_id: int | None
    name: str
    phone: str
    delivery: str  # "waiting", "sent", "failed"
    booked_at: datetime | None  # when the visit booked through the link takes place


@dataclass(frozen=True)
class CampaignReport:
    campaign: RecallCampaign
    rows: list[CampaignRow]

    @property
    def sent(self) -> int:
        return sum(r.delivery == "sent" for r in self.rows)

    @property
    def failed(self) -> int:
        return sum(r.delivery == "failed" for r in self.rows)

    @property
    def booked(self) -> int:
        return sum(r.booked_at is not None for r in self.rows)


_DELIVERY = {
    NotificationStatus.SENT: "sent",
    NotificationStatus.FAILED: "failed",
    NotificationStatus.SKIPPED: "failed",
}


class DeskLinks:
    def __init__(self, db: Database, links: BookingLinks) -> None:
        self.db = db
        self.links = links

    async def to_card(self, scope: StaffScope, patient_id: int, choice: LinkChoice) -> SentLink:
        """To the card's phone (its preferred one), else its WhatsApp number."""
        scope.require(*DESK_ROLES)
        await self._check(choice)
        async with self.db.read() as session:
            patient = await session.get(Patient, patient_id)
            if patient is None:
                raise NotFound("no such patient")
            phone = await _card_number(session, patient_id)
        if phone is None:
            raise InvalidInput("the card has no phone number to text", field="patient")
        return await self._send(scope, choice, LinkOrigin.CARD, patient_id, patient_id, phone)

    async def for_callback(
        self, scope: StaffScope, callback_id: int, choice: LinkChoice
    ) -> SentLink:
        """To the number that asked to be called back (a request in the member's scope)."""
        scope.require(*DESK_ROLES)
        await self._check(choice)
        async with self.db.read() as session:
            found = await session.execute(
                select(CallbackRequest).where(
                    col(CallbackRequest.id) == callback_id,
                    scope.desk_rows(CallbackRequest.branch_id),
                )
            )
            request = found.scalar_one_or_none()
        if request is None:
            raise NotFound("no such callback request")
        return await self._send(
            scope, choice, LinkOrigin.CALLBACK, callback_id, request.patient_id, request.phone
        )

    async def for_case(self, scope: StaffScope, case_id: int, choice: LinkChoice) -> SentLink:
        """Into a case's WhatsApp chat, else to its card's phone."""
        scope.require(*DESK_ROLES)
        await self._check(choice)
        async with self.db.read() as session:
            case = await session.get(Escalation, case_id)
            if case is None:
                raise NotFound("no such case")
            phone = case.chat_id if case.channel is Channel.WHATSAPP else None
            if phone is None and case.patient_id is not None:
                phone = await _card_number(session, case.patient_id)
        if phone is None:
            raise InvalidInput("the case has no phone number to text", field="case")
        return await self._send(scope, choice, LinkOrigin.CASE, case_id, case.patient_id, phone)

    async def campaign_for_cards(
        self, scope: StaffScope, name: str, patient_ids: Sequence[int], choice: LinkChoice
    ) -> CampaignStarted:
        """A recall campaign to the cards of a search result, each to its phone."""
        scope.require(*DESK_ROLES)
        wanted = sorted(set(patient_ids))
        if not wanted or len(wanted) > MAX_ROWS:
            raise InvalidInput(f"from 1 to {MAX_ROWS} cards", field="patient_ids")
        recipients: list[Recipient] = []
        async with self.db.read() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                patients = await session.execute(select(Patient).where(col(Patient.id).in_(chunk)))
                phones = await _phones_of(session, chunk)
                for p in patients.scalars():
                    assert p.id is not None
                    if p.id in phones:
                        recipients.append(
                            Recipient(
                                phones[p.id], p.id, f"{p.first_name} {p.last_name}", p.language
                            )
                        )
        started = await self._campaign(scope, name, recipients, choice)
        return CampaignStarted(started.campaign_id, started.queued, len(wanted) - len(recipients))

    async def campaign_for_list(
        self, scope: StaffScope, name: str, people: Sequence[ListedPerson], choice: LinkChoice
    ) -> CampaignStarted:
        """A recall campaign to an uploaded list; a number a card holds links to that card."""
        scope.require(*DESK_ROLES)
        if not people:
            raise InvalidInput("no row has a valid phone number", field="file", reason="no_phones")
        if len(people) > MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} people", field="file", reason="too_many_rows")
        cards: dict[str, tuple[int, str]] = {}
        phones = sorted({p.phone for p in people})
        async with self.db.read() as session:
            for start in range(0, len(phones), 500):
                rows = await session.execute(
                    select(col(Contact.value), col(Contact.patient_id), col(Patient.language))
                    .join(Patient, col(Patient.id) == col(Contact.patient_id))
                    .where(
                        col(Contact.kind) == ContactKind.PHONE,
                        col(Contact.value).in_(phones[start : start + 500]),
                    )
                )
                cards.update({phone: (pid, lang) for phone, pid, lang in rows.all()})
        recipients = [
            Recipient(p.phone, cards[p.phone][0], p.name, cards[p.phone][1])
            if p.phone in cards
            else Recipient(p.phone, None, p.name)
            for p in people
        ]
        return await self._campaign(scope, name, recipients, choice)

    async def report(self, scope: StaffScope, campaign_id: int) -> CampaignReport:
        """Every link of a campaign: to whom, whether the message went, who booked when."""
        scope.require(*DESK_ROLES)
        async with self.db.read() as session:
            campaign = await session.get(RecallCampaign, campaign_id)
            if campaign is None:
                raise NotFound("no such campaign")
            found = await session.execute(
                select(BookingLink, Patient, Booking)
                .outerjoin(Patient, col(Patient.id) == col(BookingLink.patient_id))
                .outerjoin(Booking, col(Booking.id) == col(BookingLink.booking_id))
                .where(col(BookingLink.campaign_id) == campaign_id)
                .order_by(col(BookingLink.id))
            )
            links = found.all()
            statuses = await _deliveries(session, [link.id for link, _, _ in links if link.id])
        rows = [
            CampaignRow(
                link_id=link.id or 0,
                patient_id=link.patient_id,
                name=f"{p.first_name} {p.last_name}" if p else link.recipient_name or "",
                phone=link.phone or "",
                delivery=statuses.get(link.id or 0, "waiting"),
                booked_at=booking.start_at if booking is not None else None,
            )
            for link, p, booking in links
        ]
        return CampaignReport(campaign, rows)

    async def campaigns(self, scope: StaffScope, limit: int = 50) -> list[RecallCampaign]:
        scope.require(*DESK_ROLES)
        async with self.db.read() as session:
            rows = await session.execute(
                select(RecallCampaign).order_by(col(RecallCampaign.id).desc()).limit(limit)
            )
            return list(rows.scalars())

    async def _campaign(
        self, scope: StaffScope, name: str, recipients: list[Recipient], choice: LinkChoice
    ) -> CampaignStarted:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a campaign needs a name (at most 100 characters)", field="name")
        await self._check(choice)
        now = self.links.clock.now()

        async def work(session: AsyncSession) -> int:
            campaign = RecallCampaign(name=name, created_by=scope.login, created_at=now)
            session.add(campaign)
            await session.flush()
            assert campaign.id is not None
            return campaign.id

        campaign_id = await self.db.write(work)
        queued = 0
        if recipients:
            queued = await self.links.issue_many(
                recipients,
                campaign_id=campaign_id,
                created_by=scope.login,
                service_ids=choice.service_ids,
                doctor_ids=choice.doctor_ids,
            )
        return CampaignStarted(campaign_id, queued, 0)

    async def _send(
        self,
        scope: StaffScope,
        choice: LinkChoice,
        origin: LinkOrigin,
        origin_id: int,
        patient_id: int | None,
        phone: str,
    ) -> SentLink:
        issued = await self.links.issue(
            origin=origin,
            origin_id=origin_id,
            created_by=scope.login,
            patient_id=patient_id,
            phone=None if patient_id is not None else phone,
            service_ids=choice.service_ids,
            doctor_ids=choice.doctor_ids,
        )
        channel = await self.links.channel_for(phone)
        await self.links.send(issued.link_id, channel, phone)
        return SentLink(issued.link_id, channel, issued.expires_at)

    async def _check(self, choice: LinkChoice) -> None:
        """The services and doctors chosen exist (and are active)."""
        if len(choice.service_ids) > MAX_CHOICES or len(choice.doctor_ids) > MAX_CHOICES:
            raise InvalidInput(f"at most {MAX_CHOICES} services and doctors")
        async with self.db.read() as session:
            services = await session.execute(
                select(col(Service.id)).where(
                    col(Service.id).in_(choice.service_ids), col(Service.active)
                )
            )
            if len(services.all()) != len(set(choice.service_ids)):
                raise NotFound("no such service")
            doctors = await session.execute(
                select(col(Doctor.id)).where(
                    col(Doctor.id).in_(choice.doctor_ids), col(Doctor.active)
                )
            )
            if len(doctors.all()) != len(set(choice.doctor_ids)):
                raise NotFound("no such doctor")


async def _card_number(session: AsyncSession, patient_id: int) -> str | None:
    """A card's preferred phone, else its WhatsApp number."""
    row = await session.execute(
        select(col(Contact.value))
        .where(
            col(Contact.patient_id) == patient_id,
            col(Contact.kind).in_([ContactKind.PHONE, ContactKind.WHATSAPP]),
        )
        .order_by(col(Contact.kind) != ContactKind.PHONE, col(Contact.priority), col(Contact.id))
        .limit(1)
    )
    return row.scalar_one_or_none()


async def _phones_of(session: AsyncSession, patient_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(col(Contact.patient_id), col(Contact.value))
        .where(col(Contact.patient_id).in_(patient_ids), col(Contact.kind) == ContactKind.PHONE)
        .order_by(col(Contact.priority).desc(), col(Contact.id).desc())
    )
    return dict(rows.all())  # the preferred phone last, so it wins


async def _deliveries(session: AsyncSession, link_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(link_ids), 500):
        rows = await session.execute(
            select(col(Notification.subject_id), col(Notification.status)).where(
                col(Notification.topic) == BOOKING_LINK,
                col(Notification.subject_id).in_(link_ids[start : start + 500]),
            )
        )
        for link_id, status in rows.all():
            if link_id is not None:
                found[link_id] = _DELIVERY.get(status, "waiting")
    return found
