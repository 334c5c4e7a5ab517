"""The waiting list: a freed time is held for the patients who wait for it.

When a matching visit is cancelled or moved away, the engine holds the freed
time (so no stranger's search or scraper sees it first) and offers it to the
first waiting patients in the order they joined. The first to accept books
it through the hold; the others' offers are marked gone, with an event for
the channels to tell them. Offers that expire or are declined pass the time
on to the next patients in line, or give it back to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.booking.gate import EligibilityGate
from core.booking.placement import Placement, VisitRequest, drop_hold, load_service, place_booking
from core.booking.waitlist_offers import (
    WaitlistPolicy,
    close_other_offers,
    offer_freed_time,
    offer_next_batch,
)
from core.clock import Clock
from core.db.database import Database
from core.errors import (
    HoldExpired,
    InvalidInput,
    NotFound,
    OfferGone,
    OutsideAvailability,
    RestrictionViolated,
    SlotTaken,
)
from core.models import Hold, Patient, WaitlistEntry, WaitlistOffer
from core.vocab import ActorKind, Channel, OfferStatus, WaitlistStatus


@dataclass(frozen=True)
class WaitRequest:
    patient_id: int
    channel: Channel
    doctor_id: int | None = None
    service_id: int | None = None
    branch_id: int | None = None
    earliest: date | None = None
    latest: date | None = None
    time_from: time | None = None
    time_to: time | None = None
    auto_book: bool = False  # book a matching freed time at once, and tell the patient


class WaitlistService:
    """Joining and leaving the list, and answering offers."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        policy: WaitlistPolicy | None = None,
        *,
        eligibility: EligibilityGate | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or WaitlistPolicy()
        self.eligibility = eligibility

    async def join(self, request: WaitRequest) -> WaitlistEntry:
        if request.doctor_id is None and request.service_id is None:
            raise InvalidInput("wait for a doctor or a service")
        if request.earliest and request.latest and request.earliest > request.latest:
            raise InvalidInput("the first day comes after the last")

        async def work(session: AsyncSession) -> WaitlistEntry:
            if await session.get(Patient, request.patient_id) is None:
                raise NotFound("no such patient")
            if request.service_id is not None:
                await load_service(session, request.service_id)
            entry = WaitlistEntry(
                patient_id=request.patient_id,
                doctor_id=request.doctor_id,
                service_id=request.service_id,
                branch_id=request.branch_id,
                earliest=request.earliest,
                latest=request.latest,
                time_from=request.time_from,
                time_to=request.time_to,
                auto_book=request.auto_book,
                channel=request.channel,
                created_at=self.clock.now(),
            )
            session.add(entry)
            await session.flush()
            return entry

        return await self.db.write(work)

    async def withdraw(self, actor: Actor, entry_id: int) -> None:
        async def work(session: AsyncSession) -> None:
            entry = await _own_entry(session, actor, entry_id)
            if entry.status in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
                entry.status = WaitlistStatus.WITHDRAWN
                for offer in await _open_offers(session, entry_id=entry_id):
                    offer.status = OfferStatus.DECLINED
                    await self._pass_on(session, offer, self.clock.now())

        await self.db.write(work)

    async def accept(self, actor: Actor, offer_id: int) -> int:
        """Book the offered time for the patient; the booking id, or `OfferGone`, or
        `NotEligible` when the payer does not cover it (the offer then stays open until it
        expires and passes on, as a declined one would)."""
        now = self.clock.now()
        if self.eligibility is not None:
            async with self.db.read() as session:
                offer, entry = await _own_offer(session, actor, offer_id, lock=False)
            if offer.status is OfferStatus.OPEN:
                await self.eligibility.verify(entry.patient_id, offer.service_id, offer.start_at)

        async def work(session: AsyncSession) -> int | None:
            offer, entry = await _own_offer(session, actor, offer_id)
            if offer.status is not OfferStatus.OPEN or offer.expires_at <= now:
                return None
            request = VisitRequest(
                patient_id=entry.patient_id,
                service_id=offer.service_id,
                doctor_id=offer.doctor_id,
                start_at=offer.start_at,
                hold_token=offer.hold_token,
            )
            try:
                async with session.begin_nested():
                    booking = await place_booking(session, actor, request, now)
            except (SlotTaken, HoldExpired, OutsideAvailability, RestrictionViolated):
                offer.status = OfferStatus.GONE
                entry.status = WaitlistStatus.WAITING
                return None
            offer.status = OfferStatus.ACCEPTED
            entry.status, entry.booking_id = WaitlistStatus.BOOKED, booking.id
            await close_other_offers(session, offer.hold_token, now)
            assert booking.id is not None
            return booking.id

        booking_id = await self.db.write(work)
        if booking_id is None:
            raise OfferGone("this time has already been taken or the offer expired")
        return booking_id

    async def decline(self, actor: Actor, offer_id: int) -> None:
        now = self.clock.now()

        async def work(session: AsyncSession) -> None:
            offer, entry = await _own_offer(session, actor, offer_id)
            if offer.status is OfferStatus.OPEN:
                offer.status = OfferStatus.DECLINED
                entry.status = WaitlistStatus.WAITING
                await self._pass_on(session, offer, now)

        await self.db.write(work)

    async def sweep(self) -> int:
        """Expire lapsed offers (passing their time on), offer held times nobody took to
        the next batch once its delay is over, and expire entries past their last day."""
        now = self.clock.now()

        async def work(session: AsyncSession) -> int:
            lapsed = list(
                (
                    await session.execute(
                        select(WaitlistOffer)
                        .where(
                            col(WaitlistOffer.status) == OfferStatus.OPEN,
                            col(WaitlistOffer.expires_at) <= now,
                        )
                        .with_for_update()
                    )
                ).scalars()
            )
            for offer in lapsed:
                offer.status = OfferStatus.EXPIRED
                entry = await session.get_one(WaitlistEntry, offer.entry_id)
                if entry.status is WaitlistStatus.OFFERED:
                    entry.status = WaitlistStatus.WAITING
            for token in {o.hold_token for o in lapsed}:
                await self._pass_on(session, next(o for o in lapsed if o.hold_token == token), now)
            stale = (
                await session.execute(
                    select(WaitlistEntry).where(
                        col(WaitlistEntry.status) == WaitlistStatus.WAITING,
                        col(WaitlistEntry.latest) < now.date(),
                    )
                )
            ).scalars()
            for entry in stale:
                entry.status = WaitlistStatus.EXPIRED
            await self._next_batches(session, now)
            return len(lapsed)

        return await self.db.write(work)

    async def _pass_on(self, session: AsyncSession, offer: WaitlistOffer, now: datetime) -> None:
        """When no offer for a held time is open any more, offer it on or free it."""
        if await _open_offers(session, hold_token=offer.hold_token):
            return
        hold = (
            await session.execute(select(Hold).where(col(Hold.token) == offer.hold_token))
        ).scalar_one_or_none()
        if hold is None:
            return
        assert hold.id is not None
        await drop_hold(session, hold.id)
        freed = Placement(hold.doctor_id, hold.branch_id, hold.room_id, hold.start_at, hold.end_at)
        await offer_freed_time(session, freed, hold.service_id, now, self.policy)

    async def _next_batches(self, session: AsyncSession, now: datetime) -> None:
        """Each held time whose newest batch was told `batch_delay` ago without an answer
        that booked it goes to the next batch in line."""
        told = func.max(func.coalesce(col(WaitlistOffer.told_at), col(WaitlistOffer.created_at)))
        due = (
            select(col(WaitlistOffer.hold_token))
            .where(col(WaitlistOffer.status) == OfferStatus.OPEN)
            .group_by(col(WaitlistOffer.hold_token))
            .having(told <= now - self.policy.batch_delay)
        )
        holds = (
            await session.execute(
                select(Hold).where(col(Hold.token).in_(due), col(Hold.expires_at) > now)
            )
        ).scalars()
        for hold in list(holds):
            await offer_next_batch(session, hold, now, self.policy)


async def _open_offers(
    session: AsyncSession, *, hold_token: str | None = None, entry_id: int | None = None
) -> list[WaitlistOffer]:
    query = select(WaitlistOffer).where(col(WaitlistOffer.status) == OfferStatus.OPEN)
    if hold_token is not None:
        query = query.where(col(WaitlistOffer.hold_token) == hold_token)
    if entry_id is not None:
        query = query.where(col(WaitlistOffer.entry_id) == entry_id)
    return list((await session.execute(query.with_for_update())).scalars())


async def _own_entry(
    session: AsyncSession, actor: Actor, entry_id: int, *, lock: bool = True
) -> WaitlistEntry:
    entry = await session.get(WaitlistEntry, entry_id, with_for_update=lock)
    if entry is None or (actor.kind is ActorKind.PATIENT and actor.id != str(entry.patient_id)):
        raise NotFound("no such waiting-list entry")
    return entry


async def _own_offer(
    session: AsyncSession, actor: Actor, offer_id: int, *, lock: bool = True
) -> tuple[WaitlistOffer, WaitlistEntry]:
    offer = await session.get(WaitlistOffer, offer_id, with_for_update=lock)
    if offer is None:
        raise NotFound("no such offer")
    return offer, await _own_entry(session, actor, offer.entry_id, lock=lock)
