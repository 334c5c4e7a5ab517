"""What a text message sent to the clinic's number does: a reply to a reminder confirms,
cancels or asks to move the visit that reminder was about; STOP, START and HELP (in
Polish, Ukrainian, Russian and English) are honoured for any number.

An SMS sender can be forged, so a reply may do only this (docs/notifications.md):

- act on the visit of the newest message we sent by SMS to that number, only when that
  message offered the choice (a two-way reminder, a booking made from the waiting list),
  was sent at most `validity` ago, and its visit is still the same, active and ahead;
  a reply to an older message, or from a number we never texted, changes nothing;
- never say anything the message it answers did not say; the answer goes to the
  number itself, the card's number, so a forged cancel is seen at once by its owner
  (and the desk restores the visit from the trash);
- STOP and START change only what that number is sent, and are answered to it.

Every delivery is handled once (Twilio's MessageSid), in the transaction that does what it
asks: a retried webhook does nothing twice, a failure stores nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.service import cancel_in, confirm_in
from core.booking.waitlist_offers import WaitlistPolicy
from core.clock import Clock
from core.db.database import Database, insert_or_skip
from core.errors import DomainError
from core.messaging import consent
from core.messaging.booking_links import BookingLinks
from core.messaging.compose import stale
from core.messaging.port import REMINDER, WAITLIST_BOOKED
from core.messaging.templates import date_and_time
from core.models import (
    Booking,
    Branch,
    Clinic,
    InboundMessage,
    Notification,
    Patient,
    ReminderRule,
)
from core.vocab import Channel, LinkOrigin, NotificationStatus

MAX_BODY = 1600  # Twilio's longest message; anything longer is not a reply


class Word(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    MOVE = "move"
    STOP = "stop"
    START = "start"
    HELP = "help"
    OTHER = "other"


# Folded (upper case, no diacritics) first words, and the language each one says.
_WORDS: dict[str, tuple[Word, str | None]] = {
    **dict.fromkeys(("TAK", "T", "POTWIERDZAM"), (Word.CONFIRM, "pl")),
    **dict.fromkeys(("YES", "Y", "CONFIRM"), (Word.CONFIRM, "en")),
    **dict.fromkeys(("ТАК", "ПІДТВЕРДЖУЮ"), (Word.CONFIRM, "uk")),
    **dict.fromkeys(("ДА", "ПОДТВЕРЖДАЮ"), (Word.CONFIRM, "ru")),
    **dict.fromkeys(("NIE", "N", "ANULUJ", "ODWOLAJ", "ODWOLUJE"), (Word.CANCEL, "pl")),
    **dict.fromkeys(("NO", "CANCEL"), (Word.CANCEL, "en")),
    **dict.fromkeys(("НІ", "СКАСУВАТИ"), (Word.CANCEL, "uk")),
    **dict.fromkeys(("НЕТ", "ОТМЕНА", "ОТМЕНИТЬ"), (Word.CANCEL, "ru")),
    **dict.fromkeys(("ZMIEN", "PRZELOZ", "ZMIANA"), (Word.MOVE, "pl")),
    **dict.fromkeys(("MOVE", "REBOOK", "CHANGE"), (Word.MOVE, "en")),
    **dict.fromkeys(("ЗМІНИТИ",), (Word.MOVE, "uk")),
    **dict.fromkeys(("ИЗМЕНИТЬ",), (Word.MOVE, "ru")),
    **dict.fromkeys(("ПЕРЕНЕСТИ",), (Word.MOVE, None)),  # the same in both
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT"), (Word.STOP, None)),
    **dict.fromkeys(("СТОП",), (Word.STOP, None)),
    **dict.fromkeys(("START", "UNSTOP", "СТАРТ"), (Word.START, None)),
    **dict.fromkeys(("POMOC",), (Word.HELP, "pl")),
    **dict.fromkeys(("HELP", "INFO"), (Word.HELP, "en")),
    **dict.fromkeys(("ДОПОМОГА",), (Word.HELP, "uk")),
    **dict.fromkeys(("ПОМОЩЬ",), (Word.HELP, "ru")),
}


def _fold(text: str) -> str:
    """Upper case without Latin diacritics ("Zmień" → "ZMIEN"); Cyrillic kept whole."""
    decomposed = unicodedata.normalize("NFD", text.upper())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept).replace("Ł", "L")


def read(body: str) -> tuple[Word, str | None]:
    """The word a text message says (its first word, punctuation aside), with its language
    when the word tells it."""
    first = body.strip().split(maxsplit=1)[0] if body.strip() else ""
    word = _fold(first.strip(".,!?;:'\"()"))
    cyrillic = unicodedata.normalize("NFC", first.strip(".,!?;:'\"()").upper())
    return _WORDS.get(word) or _WORDS.get(cyrillic) or (Word.OTHER, None)


class Did(StrEnum):
    """What a text message did, for the answer's wording."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    MOVE_LINK = "move_link"  # a booking link to move the visit is on its way
    MOVE_ASK = "move_ask"  # how to move it (no links configured)
    STOPPED = "stopped"
    STARTED = "started"
    HELP = "help"
    UNMATCHED = "unmatched"  # a reply we cannot tie to a visit it may still change
    NOTHING = "nothing"  # a number we never texted said something else: no answer


@dataclass(frozen=True)
class SmsAnswer:
    did: Did
    language: str
    clinic: str = ""
    phone: str = ""  # the branch's (or clinic's first branch's) phone
    date: str = ""  # of the visit acted on, as the message it answers said it
    time: str = ""


@dataclass(frozen=True)
class _Asked:
    """The message a reply answers and the visit it was about."""

    notification: Notification
    booking: Booking


class SmsReplies:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        waitlist: WaitlistPolicy,
        links: BookingLinks | None = None,
        *,
        validity: timedelta = timedelta(days=8),
    ) -> None:
        self.db = db
        self.clock = clock
        self.waitlist = waitlist
        self.links = links
        self.validity = validity

    async def handle(self, sender: str, message_sid: str, body: str) -> SmsAnswer | None:
        """Do what the message from `sender` (E.164) says; None when this delivery was
        handled before (Twilio retried)."""
        word, language = read(body[:MAX_BODY])
        now = self.clock.now()

        async def work(session: AsyncSession) -> tuple[SmsAnswer, _Asked | None] | None:
            if not await _first_delivery(session, message_sid, now):
                return None
            asked = await self._asked(session, sender, now)
            lang = await _language(session, asked, language)
            answer = await _answer_base(session, asked, lang)
            if word in (Word.STOP, Word.START):
                stop = word is Word.STOP
                consent.record(
                    session,
                    Channel.SMS,
                    sender,
                    stopped=stop,
                    keyword=_fold(body.split()[0]),
                    at=now,
                )
                return _with(answer, Did.STOPPED if stop else Did.STARTED), None
            if word is Word.HELP:
                return _with(answer, Did.HELP), None
            if asked is None:
                known = await _ever_texted(session, sender)
                return _with(answer, Did.UNMATCHED if known else Did.NOTHING), None
            if word is Word.OTHER:
                return _with(answer, Did.HELP), None
            return await self._act(session, word, asked, answer, now), asked

        done = await self.db.write(work)
        if done is None:
            return None
        answer, asked = done
        if answer.did is Did.MOVE_LINK and asked is not None:
            await self._send_link(asked, sender)
        return answer

    async def _asked(self, session: AsyncSession, sender: str, now: datetime) -> _Asked | None:
        """The newest message texted to `sender`, if it offered a choice that still holds."""
        newest = (
            await session.execute(
                select(Notification)
                .where(
                    col(Notification.sent_to) == sender,
                    col(Notification.channel) == Channel.SMS,
                    col(Notification.status) == NotificationStatus.SENT,
                    col(Notification.sent_at) >= now - self.validity,
                )
                .order_by(col(Notification.sent_at).desc(), col(Notification.id).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if newest is None or newest.booking_id is None or not await _two_way(session, newest):
            return None
        if await stale(session, newest, now) is not None:
            return None
        booking = await session.get_one(Booking, newest.booking_id, with_for_update=True)
        return _Asked(newest, booking)

    async def _act(
        self, session: AsyncSession, word: Word, asked: _Asked, answer: SmsAnswer, now: datetime
    ) -> SmsAnswer:
        booking = asked.booking
        assert booking.id is not None
        actor = Actor.patient(booking.patient_id, Channel.SMS)
        if word is Word.MOVE:
            return _with(answer, Did.MOVE_LINK if self.links is not None else Did.MOVE_ASK)
        try:
            async with session.begin_nested():
                if word is Word.CONFIRM:
                    await confirm_in(session, actor, booking.id, now)
                    return _with(answer, Did.CONFIRMED)
                await cancel_in(session, actor, booking.id, "SMS", now, self.waitlist)
                return _with(answer, Did.CANCELLED)
        except DomainError:
            return _with(answer, Did.UNMATCHED)

    async def _send_link(self, asked: _Asked, sender: str) -> None:
        """A link that moves the visit, sent by SMS to the number that asked (the card's)."""
        assert self.links is not None
        link = await self.links.issue(
            origin=LinkOrigin.REPLY,
            created_by="sms",
            patient_id=asked.booking.patient_id,
            service_ids=[asked.booking.service_id],
            moves_booking_id=asked.booking.id,
        )
        await self.links.send(link.link_id, Channel.SMS, sender)


async def _first_delivery(session: AsyncSession, message_sid: str, now: datetime) -> bool:
    inserted = await session.execute(
        insert_or_skip(session, InboundMessage, "channel", "external_id")
        .values(channel=Channel.SMS, external_id=message_sid, received_at=now)
        .returning(col(InboundMessage.id))
    )
    return inserted.first() is not None


async def _two_way(session: AsyncSession, notification: Notification) -> bool:
    """Did this message offer to answer it? (a reminder with actions, an automatic booking)"""
    if notification.topic == WAITLIST_BOOKED:
        return True
    if notification.topic != REMINDER or notification.rule_id is None:
        return False
    rule = await session.get(ReminderRule, notification.rule_id)
    return rule is not None and rule.with_actions


async def _ever_texted(session: AsyncSession, sender: str) -> bool:
    found = await session.execute(
        select(col(Notification.id)).where(col(Notification.sent_to) == sender).limit(1)
    )
    return found.first() is not None


async def _language(session: AsyncSession, asked: _Asked | None, said: str | None) -> str:
    """The card's language when the reply is tied to it, else the one of the word used."""
    if asked is not None:
        patient = await session.get(Patient, asked.booking.patient_id)
        if patient is not None:
            return patient.language
    return said or "pl"


async def _answer_base(session: AsyncSession, asked: _Asked | None, language: str) -> SmsAnswer:
    clinic = (await session.execute(select(col(Clinic.name)).limit(1))).scalar() or ""
    branch_id = asked.booking.branch_id if asked is not None else None
    query = select(Branch).order_by(col(Branch.id)).limit(1)
    if branch_id is not None:
        query = select(Branch).where(col(Branch.id) == branch_id)
    branch = (await session.execute(query)).scalar_one_or_none()
    phone = branch.phone or "" if branch is not None else ""
    when: dict[str, str] = {}
    if asked is not None and branch is not None:
        when = date_and_time(asked.booking.start_at, branch.timezone, language)
    return SmsAnswer(
        Did.NOTHING, language, clinic, phone, when.get("date", ""), when.get("time", "")
    )


def _with(answer: SmsAnswer, did: Did) -> SmsAnswer:
    return SmsAnswer(did, answer.language, answer.clinic, answer.phone, answer.date, answer.time)
