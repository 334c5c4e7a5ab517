"""The demo clinic, on SQLite and PostgreSQL: realistic, bookable, and seeded only once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from stdnum.pl import pesel as stdnum_pesel

from core.clock import FrozenClock
from core.db.database import Database
from core.models import (
    Booking,
    BookingChange,
    Branch,
    Clinic,
    Doctor,
    DoctorLanguage,
    OutboxEvent,
    Patient,
    ScheduleBreak,
    ScheduleTemplate,
    Service,
    Slot,
    WaitlistEntry,
)
from core.patients.cards import age_on
from core.schedule.search import SlotQuery, SlotSearch
from core.vocab import Availability, BookingStatus, Channel, ServiceMode, Sex, WaitlistStatus
from frontdesk.demo.data import ZONE, pesel_for
from frontdesk.demo.seed import seed_demo

WARSAW = ZoneInfo(ZONE)
T = TypeVar("T")


async def _count(db: Database, model: Any) -> int:
    async with db.read() as session:
        count: int = (await session.execute(select(func.count()).select_from(model))).scalar_one()
        return count


async def _all(db: Database, model: type[T]) -> list[T]:
    async with db.read() as session:
        return list((await session.execute(select(model))).scalars())


@pytest.fixture
async def demo(db: Database, clock: FrozenClock) -> Database:
    assert await seed_demo(db, clock)
    return db


async def test_demo_structure_is_a_realistic_clinic(demo: Database) -> None:
    assert await _count(demo, Clinic) == 1
    branches = await _all(demo, Branch)
    assert {b.city for b in branches} == {"Warszawa", "Kraków"}
    assert all(b.timezone == "Europe/Warsaw" and b.address and b.phone for b in branches)
    assert all(b.opening_hours for b in branches)
    assert all(set(b.names) == {"en", "uk", "ru"} for b in branches)  # as the services'

    doctors = await _all(demo, Doctor)
    assert len(doctors) >= 10
    assert {d.title for d in doctors} >= {"lek.", "dr n. med."}
    assert all(set(d.titles) == {"en", "uk", "ru"} for d in doctors)
    languages = {row.language for row in await _all(demo, DoctorLanguage)}
    assert languages >= {"pl", "en", "uk", "ru"}

    services = await _all(demo, Service)
    assert len(services) >= 8
    assert all(s.currency == "PLN" and s.price > 0 for s in services)
    assert any(s.max_age == 17 for s in services)
    assert any(s.referral_required for s in services)
    assert any(s.sex == Sex.FEMALE for s in services)
    assert any(s.mode == ServiceMode.ONLINE for s in services)

    templates = await _all(demo, ScheduleTemplate)
    assert await _count(demo, ScheduleBreak) > 0
    assert any(t.room_id is not None for t in templates)
    assert {Availability(t.availability) for t in templates} >= {
        Availability.CLINIC,
        Availability.ALL,
        Availability.PARTNERS,
    }


async def test_demo_has_slots_for_eight_weeks(demo: Database, clock: FrozenClock) -> None:
    today = clock.now().astimezone(WARSAW).date()
    async with demo.read() as session:
        first, last = (
            await session.execute(select(func.min(Slot.start_at), func.max(Slot.start_at)))
        ).one()
    assert first >= clock.now()
    assert last.astimezone(WARSAW).date() >= today + timedelta(weeks=8) - timedelta(days=3)
    assert await _count(demo, Slot) > 2000


async def test_demo_patients_bookings_history_and_waitlist(
    demo: Database, clock: FrozenClock
) -> None:
    patients = await _all(demo, Patient)
    assert len(patients) >= 5
    assert all(p.pesel and stdnum_pesel.is_valid(p.pesel) for p in patients)
    today = clock.now().date()
    assert any(p.birth_date and age_on(p.birth_date, today) < 18 for p in patients)

    bookings = await _all(demo, Booking)
    assert len(bookings) >= 5
    assert {b.source for b in bookings} >= {Channel.TELEGRAM, Channel.WHATSAPP, Channel.STAFF}
    assert any(b.status == BookingStatus.CANCELLED and b.cancel_reason for b in bookings)
    assert all(b.start_at > clock.now() for b in bookings)
    actions = {change.action for change in await _all(demo, BookingChange)}
    assert actions >= {"booked", "cancelled", "moved"}
    assert await _count(demo, OutboxEvent) >= len(bookings)

    [entry] = await _all(demo, WaitlistEntry)
    assert entry.status == WaitlistStatus.WAITING


async def test_every_service_can_be_found_for_a_suitable_patient(
    demo: Database, clock: FrozenClock
) -> None:
    patients = await _all(demo, Patient)
    today = clock.now().date()

    def suitable(service: Service) -> Patient:
        def fits(p: Patient) -> bool:
            assert p.birth_date is not None
            age = age_on(p.birth_date, today)
            return (
                (service.sex is None or p.sex == service.sex)
                and (service.max_age is None or age <= service.max_age)
                and (service.min_age is None or age >= service.min_age)
            )

        return next(p for p in patients if fits(p))

    search = SlotSearch(demo, clock)
    for service in await _all(demo, Service):
        for channel in (Channel.WEB, Channel.TELEGRAM, Channel.STAFF):
            found = await search.find(
                SlotQuery(
                    channel=channel,
                    service_id=service.id,
                    patient_id=suitable(service).id,
                    limit=3,
                )
            )
            assert len(found) == 3, (service.code, channel)


async def test_partner_only_slots_stay_off_the_clinic_channels(
    demo: Database, clock: FrozenClock
) -> None:
    async with demo.read() as session:
        partner_slot = (
            (
                await session.execute(
                    select(Slot)
                    .where(col(Slot.availability) == int(Availability.PARTNERS))
                    .order_by(col(Slot.start_at))
                )
            )
            .scalars()
            .first()
        )
    assert partner_slot is not None
    search = SlotSearch(demo, clock)

    def at(channel: Channel) -> SlotQuery:
        return SlotQuery(
            channel=channel,
            doctor_id=partner_slot.doctor_id,
            start=partner_slot.start_at,
            end=partner_slot.end_at,
        )

    assert await search.find(at(Channel.WEB)) == []
    assert [s.start_at for s in await search.find(at(Channel.ZNANYLEKARZ))] == [
        partner_slot.start_at
    ]


async def test_seeding_twice_changes_nothing(demo: Database, clock: FrozenClock) -> None:
    before = [await _count(demo, m) for m in (Clinic, Doctor, Slot, Patient, Booking)]

    assert await seed_demo(demo, clock) is False

    assert [await _count(demo, m) for m in (Clinic, Doctor, Slot, Patient, Booking)] == before


@pytest.mark.parametrize(
    ("born", "sex"),
    [
        (date(1950, 9, 17), Sex.FEMALE),
        (date(1972, 11, 2), Sex.MALE),
        (date(1999, 12, 31), Sex.FEMALE),
        (date(2000, 1, 1), Sex.MALE),
        (date(2019, 5, 9), Sex.MALE),
    ],
)
def test_generated_pesels_are_valid_and_carry_birth_date_and_sex(born: date, sex: Sex) -> None:
    for serial in (0, 7, 412, 999):
        number = pesel_for(born, serial, sex)
        assert stdnum_pesel.is_valid(number), number
        assert stdnum_pesel.get_birth_date(number) == born
        assert stdnum_pesel.get_gender(number) == sex.value
