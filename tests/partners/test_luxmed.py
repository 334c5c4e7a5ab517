"""LUX MED against its fake connector: eligibility asked before a booking on one of its
services (refusals with their reason), PESEL required, visits sent once, moved,
completed and cancelled; the clinic's own services never reach it."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.booking.waitlist_offers import WaitlistPolicy
from core.cause import caused_by, current_cause
from core.errors import NotEligible
from core.models import Booking, PartnerOperation, WaitlistOffer
from core.partners.desk import PartnerDesk
from core.partners.eligibility import Eligibility, Verdict
from core.partners.port import Outbound, PartnerPatient, Visit
from core.partners.sync import PartnerSync
from core.patients.cards import PatientDraft, PatientService
from core.patients.linking import LinkingService
from core.vocab import BookingStatus, Channel, MappingKind, OfferStatus
from partners.luxmed import LuxmedClient, LuxmedConnector
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import SmallClinic, adult, small_clinic, warsaw_at
from testkit.fakes.luxmed import PASSWORD, FakeLuxmed

LM = Channel.LUXMED
PESEL = "44051401359"


@dataclass
class LuxRig:
    clinic: SmallClinic
    fake: FakeLuxmed
    client: LuxmedClient
    sync: PartnerSync
    booking: BookingService
    url: str


@asynccontextmanager
async def luxmed_rig(db, clock):
    clinic = await small_clinic(db, clock)
    fake = FakeLuxmed()
    server = TestServer(fake.app())
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    desk = PartnerDesk(db, clock)
    await desk.map(LM, MappingKind.DOCTOR, clinic.internist.id, "LM-DR-1")
    await desk.map(LM, MappingKind.SERVICE, clinic.consult.id, "LM-100")
    async with httpx.AsyncClient() as http:
        client = LuxmedClient(http, LuxmedConnector(url, PASSWORD, timeout=2))
        booking = BookingService(db, clock, eligibility=Eligibility(db, {LM: client}))
        yield LuxRig(clinic, fake, client, PartnerSync(db, clock, {LM: client}, "w1"), booking, url)
    await server.close()


async def _lux_patient(db, clock, pesel: str = PESEL) -> int:
    patient = await PatientService(db, clock).register(
        PatientDraft(first_name="Ewa", last_name="Abonamentowa", pesel=pesel)
    )
    assert patient.id is not None
    return patient.id


async def _book(rig, pid: int, at: datetime, service_id: int | None = None):
    c = rig.clinic
    return await rig.booking.book(
        Actor.patient(pid, Channel.TELEGRAM),
        VisitRequest(pid, service_id or c.consult.id, c.internist.id, at),
    )


async def test_test_connection_and_the_dictionary(db, clock):
    async with luxmed_rig(db, clock) as rig:
        assert await rig.client.test_connection()
        assert await rig.client.dictionary() == [
            {"code": "LM-100", "name": "Konsultacja internistyczna"}
        ]
        async with httpx.AsyncClient() as http:
            wrong = LuxmedClient(http, LuxmedConnector(rig.url, "wrong-password"))
            assert not await wrong.test_connection()


async def test_an_eligible_visit_is_sent_moved_completed_and_reported(db, clock):
    async with luxmed_rig(db, clock) as rig:
        pid = await _lux_patient(db, clock)
        booking = await _book(rig, pid, warsaw_at(clock, 1, 9))
        assert rig.fake.eligibility_asked == [PESEL]
        await rig.sync.run_once()
        [visit] = rig.fake.visits.values()
        assert visit.body["patient"]["pesel"] == PESEL
        assert visit.body["service"] == "LM-100"
        assert visit.body["doctor"] == "LM-DR-1"

        await rig.booking.reschedule(
            Actor.staff("desk"), booking.id, doctor_id=rig.clinic.internist.id,
            start_at=warsaw_at(clock, 1, 10),
        )  # fmt: skip
        await rig.sync.run_once()
        assert datetime.fromisoformat(visit.body["start"]) == warsaw_at(clock, 1, 10)
        assert list(rig.fake.visits) == [visit.id]  # moved, not booked anew

        desk = Actor.staff("desk")
        for status in (BookingStatus.ARRIVED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED):
            await rig.booking.set_status(desk, booking.id, status)
        await rig.sync.run_once()
        assert visit.status == "completed"


async def test_a_cancellation_is_reported_with_its_reason(db, clock):
    async with luxmed_rig(db, clock) as rig:
        pid = await _lux_patient(db, clock)
        booking = await _book(rig, pid, warsaw_at(clock, 1, 9))
        await rig.sync.run_once()
        await rig.booking.cancel(Actor.patient(pid, Channel.TELEGRAM), booking.id, "feeling better")
        await rig.sync.run_once()
        [visit] = rig.fake.visits.values()
        assert (visit.status, visit.reason) == ("cancelled", "feeling better")


@pytest.mark.parametrize(
    ("setup", "reason"),
    [("refused", "no_active_plan"), ("no_pesel", "pesel_required"), ("down", "unverified")],
)
async def test_a_refusal_stops_the_booking_with_its_reason(db, clock, setup, reason):
    async with luxmed_rig(db, clock) as rig:
        if setup == "no_pesel":
            pid = await adult(db, clock)
        else:
            pid = await _lux_patient(db, clock)
        if setup == "refused":
            rig.fake.refusals[PESEL] = ("no_active_plan", "Abonament wygasł")
        rig.fake.down = setup == "down"
        with pytest.raises(NotEligible) as caught:
            await _book(rig, pid, warsaw_at(clock, 1, 9))
        assert caught.value.details["reason"] == reason
        rig.fake.down = False
        await rig.sync.run_once()
        assert rig.fake.visits == {}


async def test_the_clinics_own_services_never_reach_lux_med(db, clock):
    async with luxmed_rig(db, clock) as rig:
        pid = await adult(db, clock)  # no PESEL: not needed for the clinic's own service
        await _book(rig, pid, warsaw_at(clock, 1, 9), service_id=rig.clinic.long_consult.id)
        report = await rig.sync.run_once()
        assert rig.fake.eligibility_asked == []
        assert rig.fake.visits == {}
        assert report.unmapped == 0


async def test_a_visit_sent_again_under_its_key_exists_once(db, clock):
    async with luxmed_rig(db, clock) as rig:
        pid = await _lux_patient(db, clock)
        await _book(rig, pid, warsaw_at(clock, 1, 9))
        await rig.sync.run_once()
        # A worker that sent it and died before recording would send it again, same key.
        async with db.read() as session:
            op = (
                await session.execute(
                    select(PartnerOperation).where(col(PartnerOperation.kind) == "book")
                )
            ).scalar_one()
        outbound = Outbound(op.kind, f"{LM}:{op.key}", visit=_visit_of(rig.fake))
        first = next(iter(rig.fake.visits))
        assert await rig.client.deliver(outbound) == first
        assert len(rig.fake.visits) == 1


def _visit_of(fake):
    [visit] = fake.visits.values()
    body = visit.body
    return Visit(
        doctor=body["doctor"],
        service=body["service"],
        start_at=datetime.fromisoformat(body["start"]),
        end_at=datetime.fromisoformat(body["end"]),
        patient=PartnerPatient("Ewa", "Abonamentowa", pesel=body["patient"]["pesel"]),
    )


class _Refusing:
    """LUX MED's answer as the bot meets it (the connector's wire is tested above)."""

    async def check(self, pesel: str, service: str, start_at: datetime) -> Verdict:
        return Verdict(False, "no_active_plan", "Abonament wygasł")


@pytest.mark.parametrize(
    ("language", "book", "confirm", "pesel", "expected"),
    [
        ("en", "Book", "Confirm", None, "your PESEL number is needed"),
        ("pl", "Umów", "Potwierdź", None, "potrzebny jest numer PESEL"),
        ("uk", "Записатися", "Підтвердити", PESEL, "не покриває цю послугу"),
        ("ru", "Записаться", "Подтвердить", PESEL, "не покрывает эту услугу"),
    ],
)
async def test_the_bot_explains_a_refusal_in_the_patients_language(
    db, clock, language, book, confirm, pesel, expected
):
    c = await small_clinic(db, clock)
    await PartnerDesk(db, clock).map(LM, MappingKind.SERVICE, c.consult.id, "LM-100")
    dialog = make_dialog(db, clock)
    dialog.services.booking.eligibility = Eligibility(db, {LM: _Refusing()})
    if pesel:  # a card with a PESEL, whose chat is linked
        pid = await _lux_patient(db, clock, pesel)
        linking = LinkingService(db, clock, SECRET)
        issued = await linking.issue(pid)
        await linking.redeem(Channel.TELEGRAM, "1001", issued.code)
    chat = Chat(dialog, language=language)
    await chat.send("/start")
    await chat.press(book)
    await chat.send(payload=chat.first_button(f"svc:{c.consult.id}"))
    await chat.send(payload=chat.first_button("day:2026-12-02"))
    await chat.send(payload=chat.first_button("t:"))
    if not pesel:
        await chat.send("Anna Nowak")
        await chat.send("24.05.1987")
        await chat.send(phone="+48501234567")
    await chat.press(confirm)
    assert expected in chat.text
    async with db.read() as session:
        assert list((await session.execute(select(Booking))).scalars()) == []


async def test_every_path_to_a_visit_asks_lux_med_first(db, clock):
    """A waiting-list offer taken, a move and a restore are bookings too: each is refused
    while the plan has lapsed, and nothing changes; the partner's own bookings are not
    asked (it booked them)."""
    async with luxmed_rig(db, clock) as rig:
        c = rig.clinic
        checked = Eligibility(db, {LM: rig.client})
        waitlist = WaitlistService(
            db, clock, WaitlistPolicy(offer_ttl=timedelta(minutes=30)), eligibility=checked
        )
        holder = await _lux_patient(db, clock)
        waiting = await _lux_patient(db, clock, "02070803628")
        at = warsaw_at(clock, 1, 9)
        held = await _book(rig, holder, at)
        await waitlist.join(WaitRequest(waiting, Channel.TELEGRAM, doctor_id=c.internist.id))
        await rig.booking.cancel(Actor.staff("desk"), held.id, "choroba")
        async with db.read() as session:
            offer = (await session.execute(select(WaitlistOffer))).scalar_one()

        rig.fake.refusals["02070803628"] = ("no_active_plan", "Abonament wygasł")
        with pytest.raises(NotEligible) as caught:
            await waitlist.accept(Actor.patient(waiting, Channel.TELEGRAM), offer.id)
        assert caught.value.details["reason"] == "no_active_plan"
        async with db.read() as session:
            assert (await session.get_one(WaitlistOffer, offer.id)).status is OfferStatus.OPEN
            assert [b.id for b in (await session.execute(select(Booking))).scalars()] == [held.id]
        del rig.fake.refusals["02070803628"]
        taken = await waitlist.accept(Actor.patient(waiting, Channel.TELEGRAM), offer.id)

        rig.fake.refusals["02070803628"] = ("no_active_plan", "Abonament wygasł")
        mover = Actor.patient(waiting, Channel.TELEGRAM)
        with pytest.raises(NotEligible):
            await rig.booking.reschedule(
                mover, taken, doctor_id=c.internist.id, start_at=warsaw_at(clock, 2, 9)
            )
        assert (await rig.booking.get(taken)).start_at == at
        await rig.booking.cancel(mover, taken, "zmiana planów")
        with pytest.raises(NotEligible):
            await rig.booking.restore(Actor.staff("desk"), taken)
        assert (await rig.booking.get(taken)).status is BookingStatus.CANCELLED
        asked = len(rig.fake.eligibility_asked)
        theirs = await rig.booking.book(
            Actor.partner(LM),
            VisitRequest(waiting, c.consult.id, c.internist.id, warsaw_at(clock, 2, 10)),
        )
        assert theirs.status is BookingStatus.BOOKED
        assert len(rig.fake.eligibility_asked) == asked


async def test_the_visit_reaches_lux_med_under_the_id_of_the_request_that_booked(db, clock):
    """The booking's request id rides on its outbox event and the operation planned from
    it, so the worker pass that sends it to LUX MED logs under the booking's id."""
    async with luxmed_rig(db, clock) as rig:
        pid = await _lux_patient(db, clock)
        with caused_by("req-book-00000001"):
            await _book(rig, pid, warsaw_at(clock, 1, 9))
        causes: list[str | None] = []
        deliver = rig.client.deliver

        async def witnessed(out: Outbound) -> str | None:
            if out.visit is not None:  # the visit, not the calendars published in the pass
                causes.append(current_cause())
            remote: str | None = await deliver(out)
            return remote

        rig.client.deliver = witnessed
        with caused_by("pass-00000002"):
            await rig.sync.run_once()
        assert causes == ["req-book-00000001"]
        async with db.read() as session:
            [cause] = (
                await session.execute(
                    select(col(PartnerOperation.cause)).where(
                        col(PartnerOperation.booking_id).is_not(None)
                    )
                )
            ).scalars()
        assert cause == "req-book-00000001"
