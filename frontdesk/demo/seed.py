"""Seeding the demo clinic (frontdesk/demo/data.py) through the engine's own services.

Structure writer, schedule, patients, booking and waiting list: the demo also
writes the change history and the outbox like real traffic would. Eight weeks
of slots, a few bookings made through several channels, one cancelled and one
moved, and a waiting-list entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.actors import Actor
from core.booking.placement import VisitRequest
from core.booking.service import BookingService
from core.booking.waitlist import WaitlistService, WaitRequest
from core.clinic.structure import StructureWriter
from core.clock import Clock
from core.db.database import Database
from core.messaging.reminder_rules import ReminderRules, install_defaults
from core.models import Branch, Clinic, Doctor, Room, Service, Specialty
from core.patients.cards import PatientDraft, PatientService
from core.schedule.search import FreeSlot, SlotQuery, SlotSearch
from core.schedule.templates import ScheduleService
from core.vocab import Channel, ServiceMode
from frontdesk.demo.data import (
    BRANCH_NAMES,
    BRANCHES,
    CLINIC_NAME,
    DOCTORS,
    PATIENTS,
    SERVICE_NAMES,
    SERVICES,
    SHIFTS,
    SPECIALTIES,
    SPECIALTY_NAMES,
    TITLES,
    ZONE,
    pesel_for,
)

log = logging.getLogger(__name__)

DEMO_WEEKS = 8
DESK = Actor.staff("rejestracja")


@dataclass
class _Built:
    doctors: dict[str, Doctor]  # by last name
    services: dict[str, Service]  # by code


async def seed_demo(db: Database, clock: Clock, *, weeks: int = DEMO_WEEKS) -> bool:
    """Create the demo clinic; False, touching nothing, when a clinic exists already."""
    if weeks < 1:
        raise ValueError("the demo needs at least one week of slots")
    today = clock.now().astimezone(ZoneInfo(ZONE)).date()
    built = await db.write(lambda session: _structure(session, today))
    if built is None:
        return False
    report = await ScheduleService(db, clock).regenerate(today, today + timedelta(weeks=weeks))
    patients = await _patients(db, clock)
    booked = await _bookings(db, clock, built, patients)
    await WaitlistService(db, clock).join(
        WaitRequest(
            patient_id=patients["Pawlak"],
            channel=Channel.WHATSAPP,
            doctor_id=built.doctors["Lewandowski"].id,
            service_id=built.services["CARD-CONS"].id,
            earliest=today,
            latest=today + timedelta(weeks=3),
            time_from=time(8, 0),
            time_to=time(12, 0),
        )
    )
    await install_defaults(ReminderRules(db, clock))
    log.info(
        "demo clinic seeded: %d doctors, %d services, %d slots, %d patients, %d bookings",
        len(built.doctors),
        len(built.services),
        report.created,
        len(patients),
        booked,
    )
    return True


async def _structure(session: AsyncSession, today: date) -> _Built | None:
    if (await session.execute(select(func.count()).select_from(Clinic))).scalar_one():
        return None
    w = StructureWriter(session)
    clinic = await w.clinic(CLINIC_NAME)
    branches: dict[str, Branch] = {}
    rooms: dict[tuple[str, str], Room] = {}
    for spec in BRANCHES:
        branch = await w.branch(
            clinic,
            spec.name,
            address=spec.address,
            city=spec.city,
            phone=spec.phone,
            timezone=ZONE,
            opening_hours=spec.hours,
            names=BRANCH_NAMES.get(spec.key),
        )
        branches[spec.key] = branch
        for room_name in spec.rooms:
            rooms[(spec.key, room_name)] = await w.room(branch, room_name)
    specialties: dict[str, Specialty] = {
        code: await w.specialty(code, name, SPECIALTY_NAMES.get(code))
        for code, name in SPECIALTIES.items()
    }
    services: dict[str, Service] = {}
    for s in SERVICES:
        services[s.code] = await w.service(
            clinic,
            s.code,
            s.name,
            minutes=s.minutes,
            price=s.price,
            specialty=specialties[s.specialty],
            sex=s.sex,
            min_age=s.min_age,
            max_age=s.max_age,
            referral_required=s.referral,
            arrival_confirmation_required=s.arrival_confirmation,
            patient_info=s.info,
            mode=ServiceMode.ONLINE if s.online else ServiceMode.IN_PERSON,
            names=SERVICE_NAMES.get(s.code),
        )
    doctors: dict[str, Doctor] = {}
    slot_minutes: dict[str, int] = {}
    for d in DOCTORS:
        title, first, last = d.parts
        doctors[last] = await w.doctor(
            clinic,
            first,
            last,
            title=title,
            titles=TITLES.get(title),
            specialties=[specialties[code] for code in d.specialties.split()],
            languages=d.languages.split(),
            services=[services[code] for code in d.services.split()],
        )
        slot_minutes[last] = d.slot_minutes
    for shift in SHIFTS:
        await w.template(
            doctors[shift.doctor],
            branches[shift.branch],
            weekdays=shift.weekdays,
            start=shift.start,
            end=shift.end,
            slot_minutes=slot_minutes[shift.doctor],
            valid_from=today,
            availability=shift.availability,
            room=rooms[(shift.branch, shift.room)] if shift.room else None,
            breaks=shift.breaks,
        )
    return _Built(doctors, services)


async def _patients(db: Database, clock: Clock) -> dict[str, int]:
    """Register the demo patients; their ids by last name."""
    service = PatientService(db, clock)
    ids: dict[str, int] = {}
    for p in PATIENTS:
        patient = await service.register(
            PatientDraft(
                first_name=p.first_name,
                last_name=p.last_name,
                birth_date=p.born,
                sex=p.sex,
                pesel=pesel_for(p.born, p.serial, p.sex),
                language=p.language,
                contacts=dict(p.contacts),
            )
        )
        assert patient.id is not None
        ids[p.last_name] = patient.id
    return ids


async def _bookings(db: Database, clock: Clock, built: _Built, patients: dict[str, int]) -> int:
    """A few visits booked through several channels, one cancelled and one moved."""
    search = SlotSearch(db, clock)
    booking = BookingService(db, clock)
    now = clock.now()

    async def first_free(
        channel: Channel, code: str, patient: int, after_days: int, nth: int = 0
    ) -> FreeSlot:
        """The nth free time from `after_days` on (from now if the schedule ends sooner)."""
        service = built.services[code]
        for start in (now + timedelta(days=after_days), now):
            found = await search.find(
                SlotQuery(
                    channel=channel,
                    service_id=service.id,
                    patient_id=patient,
                    start=start,
                    limit=nth + 1,
                )
            )
            if len(found) > nth:
                return found[nth]
        raise LookupError(f"the demo schedule has no free time for {code}")

    async def book(
        actor: Actor, patient: int, code: str, after_days: int, referral: str | None = None
    ) -> int:
        slot = await first_free(actor.channel, code, patient, after_days)
        service_id = built.services[code].id
        assert service_id is not None
        made = await booking.book(
            actor,
            VisitRequest(patient, service_id, slot.doctor_id, slot.start_at, referral=referral),
        )
        assert made.id is not None
        return made.id

    def patient(name: str, channel: Channel) -> tuple[Actor, int]:
        return Actor.patient(patients[name], channel), patients[name]

    made = [
        await book(*patient("Majewska", Channel.TELEGRAM), "INT-CONS", 1),
        await book(*patient("Pawlak", Channel.WHATSAPP), "CARD-CONS", 2),
        await book(DESK, patients["Bondarenko"], "GYN-CONS", 3),
        await book(*patient("Grabowski", Channel.VOICE), "PED-VISIT", 1),
        await book(*patient("Clarke", Channel.WEB), "DERM-DERMO", 4),
        await book(DESK, patients["Krawczyk"], "CARD-ECHO", 6, referral="e-skierowanie 4821"),
        await book(*patient("Majewska", Channel.TELEGRAM), "ORTH-CONS", 5),
    ]
    # The orthopaedic visit is called off (it goes to the trash with its reason)...
    await booking.cancel(
        Actor.patient(patients["Majewska"], Channel.TELEGRAM), made[-1], "Zmiana planów"
    )
    # ...and the desk moves the echo a week later, at the patient's phone request.
    later = await first_free(Channel.STAFF, "CARD-ECHO", patients["Krawczyk"], 13)
    await booking.reschedule(DESK, made[5], doctor_id=later.doctor_id, start_at=later.start_at)
    return len(made)
