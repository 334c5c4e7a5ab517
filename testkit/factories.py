"""A small clinic for the tests: one branch, two doctors, four services, two weeks of slots;
patients, a local time in Warsaw, and the rows a booking writes, counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clinic.structure import StructureWriter
from core.clock import Clock
from core.db.database import Database
from core.models import (
    Booking,
    BookingChange,
    Branch,
    Clinic,
    Doctor,
    Hold,
    Occupancy,
    OutboxEvent,
    Room,
    Service,
)
from core.patients.cards import PatientDraft, PatientService
from core.schedule.templates import ScheduleService
from core.vocab import Availability, ContactKind, Sex

WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass
class SmallClinic:
    branch: Branch
    room: Room
    internist: Doctor  # Mon-Fri 08:00-12:00 local, 15-minute slots, room 1, all channels
    paediatrician: Doctor  # Mon-Fri 09:00-11:00 local, 20-minute slots, clinic channels only
    consult: Service  # 15 min, internist
    long_consult: Service  # 30 min, internist
    child_visit: Service  # 20 min, paediatrician, age 0-17
    ultrasound: Service  # 15 min, internist, referral required, women only


async def small_clinic(db: Database, clock: Clock, days: int = 14) -> SmallClinic:
    today = clock.now().date()

    async def work(session: AsyncSession) -> SmallClinic:
        w = StructureWriter(session)
        clinic = await w.clinic("Przychodnia Testowa")
        branch = await w.branch(
            clinic,
            "Mokotów",
            address="ul. Puławska 1",
            city="Warszawa",
            phone="+48 22 100 00 00",
            opening_hours={d: [("08:00", "18:00")] for d in range(5)},
        )
        room = await w.room(branch, "Gabinet 1")
        internal = await w.specialty("internal", "Choroby wewnętrzne")
        paediatrics = await w.specialty("paediatrics", "Pediatria")
        consult = await w.service(
            clinic, "CONS", "Konsultacja", minutes=15, price="150.00", specialty=internal
        )
        long_consult = await w.service(
            clinic,
            "CONS-L",
            "Konsultacja rozszerzona",
            minutes=30,
            price="250.00",
            specialty=internal,
        )
        child = await w.service(
            clinic,
            "PED",
            "Wizyta pediatryczna",
            minutes=20,
            price="180.00",
            specialty=paediatrics,
            max_age=17,
        )
        usg = await w.service(
            clinic,
            "USG",
            "USG piersi",
            minutes=15,
            price="200.00",
            specialty=internal,
            sex=Sex.FEMALE,
            referral_required=True,
        )
        internist = await w.doctor(
            clinic,
            "Anna",
            "Kowalska",
            specialties=[internal],
            languages=["pl", "en"],
            services=[consult, long_consult, usg],
        )
        paediatrician = await w.doctor(
            clinic,
            "Piotr",
            "Nowak",
            specialties=[paediatrics],
            languages=["pl", "uk"],
            services=[child],
        )
        await w.template(
            internist,
            branch,
            weekdays=range(5),
            start="08:00",
            end="12:00",
            slot_minutes=15,
            valid_from=today,
            room=room,
        )
        await w.template(
            paediatrician,
            branch,
            weekdays=range(5),
            start="09:00",
            end="11:00",
            slot_minutes=20,
            valid_from=today,
            availability=Availability.CLINIC,
        )
        return SmallClinic(
            branch, room, internist, paediatrician, consult, long_consult, child, usg
        )

    built = await db.write(work)
    await ScheduleService(db, clock).regenerate(today, today + timedelta(days=days))
    return built


async def adult(db: Database, clock: Clock, n: int = 1, sex: Sex = Sex.FEMALE) -> int:
    patient = await PatientService(db, clock).register(
        PatientDraft(
            first_name="Ewa",
            last_name=f"Testowa{n}",
            birth_date=date(1980, 5, n),
            sex=sex,
            contacts={ContactKind.PHONE: f"+48 501 000 {n:03d}"},
        )
    )
    assert patient.id is not None
    return patient.id


async def child(db: Database, clock: Clock) -> int:
    patient = await PatientService(db, clock).register(
        PatientDraft(first_name="Staś", last_name="Mały", birth_date=date(2020, 1, 1), sex=Sex.MALE)
    )
    assert patient.id is not None
    return patient.id


async def consultants(
    db: Database,
    clock: Clock,
    c: SmallClinic,
    count: int,
    *,
    branch: str | None = None,
    start: str = "08:00",
    availability: Availability = Availability.ALL,
    days: int = 14,
) -> Branch:
    """`count` more doctors giving the consultation from `start` to 18:00 every weekday, at
    the small clinic's branch or at a new branch of that name; the branch is returned."""
    today = clock.now().date()

    async def work(session: AsyncSession) -> Branch:
        w = StructureWriter(session)
        clinic = await session.get(Clinic, c.branch.clinic_id)
        assert clinic is not None
        where = c.branch
        if branch is not None:
            address, phone = f"ul. {branch} 2", "+48 22 200 00 00"
            where = await w.branch(clinic, branch, address=address, city="Warszawa", phone=phone)
        for n in range(count):
            doctor = await w.doctor(clinic, "Jan", f"{where.name}{n}", services=[c.consult])
            await w.template(
                doctor,
                where,
                weekdays=range(5),
                start=start,
                end="18:00",
                valid_from=today,
                availability=availability,
            )
        return where

    built = await db.write(work)
    await ScheduleService(db, clock).regenerate(today, today + timedelta(days=days))
    return built


def warsaw_at(clock, days: int, hh: int, mm: int = 0) -> datetime:
    day = clock.now().date() + timedelta(days=days)
    return datetime.combine(day, time(hh, mm), tzinfo=WARSAW)


async def count_rows(db, model, *where) -> int:
    """How many rows of `model` match every clause of `where`."""
    async with db.read() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(query)).scalar_one())


async def row_counts(db) -> dict[str, int]:
    """How many bookings, changes, cells, outbox events and holds the database holds."""
    async with db.read() as session:
        return {
            model.__name__: (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (Booking, BookingChange, Occupancy, OutboxEvent, Hold)
        }
