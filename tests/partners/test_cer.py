"""CeR against its fake: the NFZ-contracted services' schedules published as our free
time after every change; a central booking, its move and its cancellation applied here,
with its e-referral, and seen by the chat and the desk; visits booked here sent with
theirs; an outage and recovery with nothing lost or applied twice; the clinic's guard
refusing a second central booking, which CeR is asked to cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.desk.booking_search import BookingFilter, BookingSearch
from core.models import Booking, PartnerOperation, Patient
from core.partners.port import NoticeKind, PartnerUnavailable
from core.patients.cards import PatientDraft, PatientService
from core.patients.linking import LinkingService
from core.schedule.search import SlotSearch
from core.vocab import BookingStatus, Channel, PartnerOpStatus
from partners.cer import parse_version
from testkit.cer_rig import CER, HORIZON_DAYS, CerRig, cer_rig
from testkit.chat import SECRET, make_dialog
from testkit.chat import Patient as Chat
from testkit.factories import count_rows, warsaw_at
from testkit.guard import switch_guard

PESEL = "44051401359"
CENTRAL_PESEL = "02070803628"
KEY = "1" * 44


def _merge(periods: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


async def assert_published_is_free_time(rig: CerRig) -> None:
    """What CeR shows free on the internist's schedule is what the search offers CeR's
    channel, day by day within the horizon (from tomorrow: today's morning has begun)."""
    search = SlotSearch(rig.db, rig.clock)
    assert rig.clinic.internist.id is not None
    today = rig.clock.now().date()
    ours: list[tuple[datetime, datetime]] = []
    for n in range(1, HORIZON_DAYS):
        found = await search.doctor_day(
            rig.clinic.internist.id, today + timedelta(days=n), CER, rig.clinic.consult.id
        )
        ours += [(s.start_at, s.end_at) for s in found]
    tomorrow = warsaw_at(rig.clock, 1, 0)
    published = [p for s, p in rig.fake.slots("free") if s == rig.schedule and p[0] >= tomorrow]
    assert _merge(published) == _merge(ours)
    assert ours  # the comparison is not of two empty lists


async def _card(db, clock, pesel: str = PESEL) -> int:
    patient = await PatientService(db, clock).register(
        PatientDraft(first_name="Ewa", last_name="Narodowa", pesel=pesel)
    )
    assert patient.id is not None
    return patient.id


async def test_the_published_schedule_is_our_free_time_after_every_change(db, clock):
    async with cer_rig(db, clock) as rig:
        await rig.settle()
        await assert_published_is_free_time(rig)
        c = rig.clinic
        pid = await _card(db, clock)
        me = Actor.patient(pid, Channel.TELEGRAM)
        visit = await rig.booking.book(
            me, VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9))
        )
        await rig.settle()
        await assert_published_is_free_time(rig)
        await rig.booking.reschedule(
            me, visit.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 2, 10)
        )
        await rig.settle()
        await assert_published_is_free_time(rig)
        # A visit of a service CeR does not carry takes the doctor's time all the same.
        await rig.booking.book(
            Actor.staff("desk"),
            VisitRequest(pid, c.long_consult.id, c.internist.id, warsaw_at(clock, 3, 8)),
        )
        await rig.settle()
        await assert_published_is_free_time(rig)
        central = rig.fake.book(
            rig.schedule, rig.service, warsaw_at(clock, 3, 11), pesel=CENTRAL_PESEL
        )
        assert (await rig.pull()).applied == 1
        await rig.settle()
        await assert_published_is_free_time(rig)
        rig.fake.cancel(central, "patient cancelled in IKP")
        await rig.pull()
        await rig.booking.cancel(me, visit.id, "feeling better")
        await rig.settle()
        await assert_published_is_free_time(rig)


async def test_a_central_booking_is_seen_by_the_chat_and_the_desk(db, clock):
    async with cer_rig(db, clock, e_referral=True) as rig:
        await rig.settle()
        at = warsaw_at(clock, 1, 9)
        remote = rig.fake.book(
            rig.schedule, rig.service, at, pesel=CENTRAL_PESEL, e_referral=f"1234 {CENTRAL_PESEL}"
        )
        assert (await rig.pull()).applied == 1
        async with db.read() as session:
            booking = (await session.execute(select(Booking))).scalar_one()
            card = await session.get_one(Patient, booking.patient_id)
        assert (booking.source, booking.start_at) == (CER, at)
        assert booking.e_referral == f"1234/{CENTRAL_PESEL}"
        assert (card.pesel, card.needs_verification) == (CENTRAL_PESEL, True)

        # The desk's list shows it, from CeR, with its e-referral.
        [row] = (await BookingSearch(db).find(BookingFilter())).rows
        assert (row.booking.id, row.booking.source) == (booking.id, CER)

        # The patient's chat, linked to the card, lists it; a new chat is not offered it.
        dialog = make_dialog(db, clock)
        linking = LinkingService(db, clock, SECRET)
        issued = await linking.issue(booking.patient_id)
        await linking.redeem(Channel.TELEGRAM, "1001", issued.code)
        chat = Chat(dialog, language="en")
        await chat.send("/start")
        await chat.press("My visits")
        assert "Konsultacja" in chat.text
        assert "09:00" in chat.text
        other = Chat(dialog, chat_id="1002", language="en")
        await other.send("/start")
        await other.press("Book")
        await other.send(payload=other.first_button(f"svc:{rig.clinic.consult.id}"))
        await other.send(payload=other.first_button("day:2026-12-02"))
        times = " ".join(other.buttons())
        assert "09:00" not in times
        assert "09:15" in times

        # Moved and cancelled there: the same visit follows, once.
        rig.fake.move(remote, warsaw_at(clock, 2, 10))
        await rig.pull()
        assert (await rig.booking.get(booking.id)).start_at == warsaw_at(clock, 2, 10)
        rig.fake.cancel(remote, "patient cancelled in IKP")
        await rig.pull()
        done = await rig.booking.get(booking.id)
        assert (done.status, done.cancel_reason) == (
            BookingStatus.CANCELLED,
            "patient cancelled in IKP",
        )
        assert await count_rows(db, Booking) == 1


async def test_a_central_booking_without_the_e_referral_is_cancelled_there(db, clock):
    async with cer_rig(db, clock, e_referral=True) as rig:
        await rig.settle()
        remote = rig.fake.book(
            rig.schedule, rig.service, warsaw_at(clock, 1, 9), pesel=CENTRAL_PESEL
        )
        assert (await rig.pull()).refused == 1
        await rig.settle()
        assert rig.fake.appointments[remote].status == "cancelled"
        assert await count_rows(db, Booking) == 0


async def test_a_visit_booked_here_is_sent_with_its_e_referral_moved_and_cancelled(db, clock):
    async with cer_rig(db, clock, e_referral=True) as rig:
        c = rig.clinic
        pid = await _card(db, clock)
        me = Actor.staff("desk")
        visit = await rig.booking.book(
            me,
            VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9), e_referral=KEY),
        )
        await rig.settle()
        [sent] = rig.fake.appointments.values()
        assert sent.resource["basedOn"][0]["identifier"]["value"] == KEY
        assert sent.resource["contained"][0]["identifier"][0]["value"] == PESEL
        await rig.booking.reschedule(
            me, visit.id, doctor_id=c.internist.id, start_at=warsaw_at(clock, 1, 10)
        )
        await rig.settle()
        assert sent.start == warsaw_at(clock, 1, 10)
        await rig.booking.cancel(me, visit.id, "patient asked")
        await rig.settle()
        assert sent.status == "cancelled"
        # Our own versions, read back, change nothing here.
        report = await rig.pull()
        assert (report.applied, report.refused) == (0, 0)
        assert list(rig.fake.appointments) == [sent.id]


async def test_an_outage_loses_nothing_and_applies_nothing_twice(db, clock):
    async with cer_rig(db, clock) as rig:
        c = rig.clinic
        await rig.settle()
        central = rig.fake.book(
            rig.schedule, rig.service, warsaw_at(clock, 1, 11), pesel=CENTRAL_PESEL
        )
        rig.fake.down = True
        pid = await _card(db, clock)
        here = await rig.booking.book(
            Actor.patient(pid, Channel.WHATSAPP),
            VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9)),
        )
        await rig.settle()
        with pytest.raises(PartnerUnavailable):  # the worker's pull job logs it, goes on
            await rig.pull()
        assert rig.fake.appointments.keys() == {central}
        assert await count_rows(db, Booking) == 1

        rig.fake.down = False
        rig.fake.lose_next(1)  # CeR books ours, but its answer is lost: sent again, same key
        for _ in range(10):
            clock.advance(timedelta(minutes=3))
            await rig.settle()
        assert (await rig.pull()).applied == 1
        assert (await rig.pull()).applied == 0
        await rig.settle()
        ours = [a for a in rig.fake.appointments.values() if a.id != central]
        assert len(ours) == 1
        assert ours[0].start == here.start_at
        assert await count_rows(db, Booking) == 2
        assert (
            await count_rows(
                db, PartnerOperation, col(PartnerOperation.status) == PartnerOpStatus.FAILED
            )
            == 0
        )
        await assert_published_is_free_time(rig)


async def test_the_guard_refuses_a_second_central_booking_and_cancels_it_there(db, clock):
    async with cer_rig(db, clock) as rig:
        c = rig.clinic
        await switch_guard(db)
        await rig.settle()
        pid = await _card(db, clock, CENTRAL_PESEL)
        rig.fake.down = True  # ours has not reached CeR, so CeR lets the patient book again
        first = await rig.booking.book(
            Actor.patient(pid, Channel.TELEGRAM),
            VisitRequest(pid, c.consult.id, c.internist.id, warsaw_at(clock, 1, 9)),
        )
        rig.fake.down = False
        remote = rig.fake.book(
            rig.schedule, rig.service, warsaw_at(clock, 2, 11), pesel=CENTRAL_PESEL
        )
        assert (await rig.pull()).refused == 1
        await rig.settle()
        assert rig.fake.appointments[remote].status == "cancelled"
        reason = rig.fake.appointments[remote].resource["cancelationReason"]["text"]
        assert "already has a visit of this service" in reason
        async with db.read() as session:
            ids = list((await session.execute(select(col(Booking.id)))).scalars())
        assert ids == [first.id]


def test_garbage_in_the_history_is_ignored():
    for raw in (
        None,
        [],
        {"resource": "x"},
        {"resource": {"resourceType": "Patient"}},
        {"resource": {"resourceType": "Appointment", "id": "1"}},  # no version
        {"resource": {"resourceType": "Appointment", "id": "1", "meta": {"versionId": "1"},
                      "status": "proposed"}},
        {"resource": {"resourceType": "Appointment", "id": "1",
                      "meta": {"versionId": "1", "source": "urn:frontdesk"}, "status": "booked"}},
    ):  # fmt: skip
        assert parse_version(raw) is None
    notice = parse_version(
        {"resource": {"resourceType": "Appointment", "id": "7", "meta": {"versionId": "2"},
                      "status": "booked", "start": "not a time", "participant": "x",
                      "contained": [{"resourceType": "Patient", "name": "x"}]}}
    )  # fmt: skip
    assert notice is not None
    assert (notice.kind, notice.old_remote_booking_id, notice.start_at) == (
        NoticeKind.MOVED,
        "7",
        None,
    )
