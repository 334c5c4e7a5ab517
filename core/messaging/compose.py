"""What a claimed notification says and where it goes, read when it is sent: whether
what it speaks of is still true (`stale`), the message in the patient's language
(`compose`) and the channels to try in order (`addresses`). The dispatcher
(`core.messaging.notifications`) calls these for each notification of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clinic.names import local_name
from core.messaging.link_tokens import LinkSigner
from core.messaging.port import (
    BOOKING_LINK,
    REMINDER,
    STAFF_REPLY,
    WAITLIST_BOOKED,
    WAITLIST_OFFER,
    Outgoing,
)
from core.messaging.templates import date_and_time, render, until_day
from core.models import (
    Booking,
    BookingLink,
    Branch,
    Clinic,
    Contact,
    Doctor,
    EscalationMessage,
    Guardianship,
    Notification,
    Patient,
    ReminderRule,
    Service,
    Specialty,
    WaitlistOffer,
)
from core.vocab import CHAT_CONTACTS, Channel, ContactKind, OfferStatus

M = TypeVar("M")

MESSENGERS = (Channel.TELEGRAM, Channel.WHATSAPP)
_CONTACT_KINDS = {**{m: CHAT_CONTACTS[m] for m in MESSENGERS}, Channel.SMS: ContactKind.PHONE}


async def stale(session: AsyncSession, notification: Notification, now: datetime) -> str | None:
    """Why the notification no longer makes sense, or None."""
    if notification.expires_at is not None and notification.expires_at <= now:
        return "expired"
    if notification.topic == WAITLIST_OFFER:
        offer = await session.get(WaitlistOffer, notification.subject_id)
        if offer is None or offer.status is not OfferStatus.OPEN or offer.expires_at <= now:
            return "offer no longer open"
        return None
    if notification.topic == BOOKING_LINK:
        link = await session.get(BookingLink, notification.subject_id)
        return "link already used" if link is None or link.used_at is not None else None
    if notification.booking_id is None or notification.visit_start is None:
        return None
    booking = await session.get(Booking, notification.booking_id)
    if booking is None or not booking.status.active:
        return "visit cancelled"
    if booking.start_at != notification.visit_start:
        return "visit moved"
    if booking.start_at <= now:
        return "visit already began"
    return None


@dataclass(frozen=True)
class House:
    """What every message of a batch shares: the clinic's name, its first branch, and the
    signer that puts booking links into words (None: this deployment sends none)."""

    clinic: str
    branch: Branch | None
    links: LinkSigner | None = None

    @classmethod
    async def load(cls, session: AsyncSession, links: LinkSigner | None = None) -> House:
        clinic = (await session.execute(select(col(Clinic.name)).limit(1))).scalar() or ""
        branch = (await session.execute(select(Branch).order_by(col(Branch.id)).limit(1))).scalar()
        return cls(clinic, branch, links)


async def compose(
    session: AsyncSession, notification: Notification, house: House
) -> Outgoing | None:
    patient = await get_or_none(session, Patient, notification.patient_id)
    language = patient.language if patient is not None else "pl"
    if notification.topic == STAFF_REPLY:
        message = await session.get(EscalationMessage, notification.subject_id)
        return None if message is None else Outgoing(STAFF_REPLY, language, message.text)
    first_name = patient.first_name if patient else ""
    params: dict[str, str] = {"clinic": house.clinic, "first_name": first_name}
    if notification.topic == BOOKING_LINK:
        return await _link_message(session, notification, house, params)
    if notification.topic == WAITLIST_OFFER:
        offer = await session.get(WaitlistOffer, notification.subject_id)
        if offer is None:
            return None
        params |= await _place(session, offer.branch_id, offer.start_at, language)
        return Outgoing(WAITLIST_OFFER, language, "", params, offer_id=offer.id, actions=True)
    if notification.topic == WAITLIST_BOOKED:
        booked = await get_or_none(session, Booking, notification.booking_id)
        if booked is None:
            return None
        params |= await _place(session, booked.branch_id, booked.start_at, language)
        return Outgoing(WAITLIST_BOOKED, language, "", params, booking_id=booked.id, actions=True)
    rule = await session.get(ReminderRule, notification.rule_id)
    if rule is None:
        return None
    booking = await get_or_none(session, Booking, notification.booking_id)
    if booking is not None:
        params |= await _place(session, booking.branch_id, booking.start_at, language)
        params |= await _visit(session, booking, language)
    elif (branch := house.branch) is not None:
        branch_name = local_name(branch, language)
        params |= {"branch": branch_name, "address": _address(branch), "phone": branch.phone or ""}
    return Outgoing(
        REMINDER,
        language,
        render(rule.templates, language, params),
        params,
        booking_id=booking.id if booking is not None else None,
        actions=rule.with_actions and booking is not None,
    )


async def _link_message(
    session: AsyncSession, notification: Notification, house: House, params: dict[str, str]
) -> Outgoing | None:
    """A booking link in the link's language, signed again here (no token is stored)."""
    link = await session.get(BookingLink, notification.subject_id)
    if link is None or house.links is None:
        return None
    zone = house.branch.timezone if house.branch is not None else "Europe/Warsaw"
    params |= {
        "url": house.links.url(link),
        "until": until_day(link.expires_at, zone, link.language),
    }
    return Outgoing(BOOKING_LINK, link.language, "", params)


async def get_or_none(session: AsyncSession, model: type[M], key: int | None) -> M | None:
    """The row under `key`, or None when there is no key or no row (the dispatcher too)."""
    return None if key is None else await session.get(model, key)


def _address(branch: Branch) -> str:
    return f"{branch.address}, {branch.city}"


async def _place(
    session: AsyncSession, branch_id: int, start_at: datetime, language: str
) -> dict[str, str]:
    branch = await session.get(Branch, branch_id)
    assert branch is not None
    return {
        "branch": local_name(branch, language),
        "address": _address(branch),
        "phone": branch.phone or "",
        **date_and_time(start_at, branch.timezone, language),
    }


async def _visit(session: AsyncSession, booking: Booking, language: str) -> dict[str, str]:
    """Who and what the visit is, in the patient's language; nothing of it for a discreet
    service (its name, doctor or specialty would tell what the patient is treated for)."""
    service = await session.get(Service, booking.service_id)
    if service is None or service.discreet:
        return {"doctor": "", "service": "", "specialty": ""}
    doctor = await session.get(Doctor, booking.doctor_id)
    specialty = (
        await session.get(Specialty, service.specialty_id)
        if service.specialty_id is not None
        else None
    )
    return {
        "doctor": f"{doctor.first_name} {doctor.last_name}" if doctor else "",
        "service": local_name(service, language),
        "specialty": local_name(specialty, language) if specialty else "",
    }


async def addresses(
    session: AsyncSession, notification: Notification
) -> Sequence[tuple[Channel, str]]:
    """Where to try, in order: the chat it answers, else the patient's messengers (the one
    the visit came through first), then SMS to their phone; a card in someone's care is
    reached on its guardians' too."""
    if notification.to_channel is not None and notification.to_address is not None:
        return [(notification.to_channel, notification.to_address)]
    if notification.patient_id is None:
        return []
    # A card in someone's care (a child) is reached through its guardians, after its own.
    guardians = select(col(Guardianship.guardian_id)).where(
        col(Guardianship.dependent_id) == notification.patient_id
    )
    contacts = list(
        (
            await session.execute(
                select(Contact)
                .where(
                    or_(
                        col(Contact.patient_id) == notification.patient_id,
                        col(Contact.patient_id).in_(guardians),
                    )
                )
                .order_by(
                    col(Contact.patient_id) != notification.patient_id,
                    col(Contact.priority),
                    col(Contact.id),
                )
            )
        ).scalars()
    )
    source = None
    if notification.booking_id is not None:
        booking = await session.get(Booking, notification.booking_id)
        source = booking.source if booking is not None else None
    order = [*sorted(MESSENGERS, key=lambda channel: channel != source), Channel.SMS]
    found: list[tuple[Channel, str]] = []
    for channel in order:
        kind = _CONTACT_KINDS[channel]
        found.extend((channel, c.value) for c in contacts if c.kind is kind)
    return found
