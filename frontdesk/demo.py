"""A realistic demo clinic: two branches, a dozen doctors, a services catalog, eight weeks
of slots, a few patients with bookings and a waiting-list entry.

Everything goes through the engine's own services (structure writer, schedule,
patients, booking, waiting list), so the demo also writes the change history
and the outbox like real traffic would. Every person here is made up; the
PESELs are generated with a valid checksum and the phone numbers are fake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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
from core.vocab import Availability, Channel, ContactKind, ServiceMode, Sex

log = logging.getLogger(__name__)

DEMO_WEEKS = 8
ZONE = "Europe/Warsaw"
CLINIC_NAME = "Centrum Medyczne Zdrowie"
DESK = Actor.staff("rejestracja")

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pesel_for(born: date, serial: int, sex: Sex) -> str:
    """A checksum-valid PESEL for a birth date, a 3-digit serial and sex (made-up people).

    The month carries the century (+20 for 2000-2099); the tenth digit is odd
    for men and even for women; the last is the weighted checksum.
    """
    if not 1900 <= born.year <= 2099:
        raise ValueError("demo PESELs cover births from 1900 to 2099")
    month = born.month + (20 if born.year >= 2000 else 0)
    sex_digit = (serial % 5) * 2 + (1 if sex is Sex.MALE else 0)
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial % 1000:03d}{sex_digit}"
    check = (10 - sum(w * int(d) for w, d in zip(_PESEL_WEIGHTS, body, strict=True)) % 10) % 10
    return body + str(check)


# -- the catalog ------------------------------------------------------------------


@dataclass(frozen=True)
class _BranchSpec:
    key: str
    name: str
    address: str
    city: str
    phone: str
    hours: dict[int, list[tuple[str, str]]]
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class _ServiceSpec:
    code: str
    name: str
    specialty: str
    minutes: int
    price: str
    sex: Sex | None = None
    min_age: int | None = None
    max_age: int | None = None
    referral: bool = False
    arrival_confirmation: bool = False
    online: bool = False
    info: str = ""


@dataclass(frozen=True)
class _DoctorSpec:
    name: str  # "title first last"; titles have spaces ("dr n. med.")
    specialties: str  # space-separated codes
    languages: str
    services: str
    slot_minutes: int

    @property
    def parts(self) -> tuple[str, str, str]:
        title, first, last = self.name.rsplit(" ", 2)
        return title, first, last


@dataclass(frozen=True)
class _Shift:
    """A doctor's weekly period at a branch: one template per weekday."""

    doctor: str  # last name
    branch: str
    weekdays: tuple[int, ...]
    start: str
    end: str
    availability: Availability = Availability.ALL
    room: str | None = None
    breaks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _PatientSpec:
    first_name: str
    last_name: str
    born: date
    sex: Sex
    serial: int
    language: str
    contacts: dict[ContactKind, str] = field(default_factory=dict)


_WEEKDAYS = (0, 1, 2, 3, 4)
BRANCHES = (
    _BranchSpec(
        "waw",
        "Warszawa Mokotów",
        "ul. Puławska 145",
        "Warszawa",
        "+48 22 299 77 00",
        {**{d: [("07:30", "20:00")] for d in _WEEKDAYS}, 5: [("08:00", "14:00")]},
        ("Gabinet 1", "Gabinet 2", "Gabinet 3", "Gabinet 4"),
    ),
    _BranchSpec(
        "krk",
        "Kraków Kazimierz",
        "ul. Starowiślna 55",
        "Kraków",
        "+48 12 422 11 00",
        {**{d: [("08:00", "19:00")] for d in _WEEKDAYS}, 5: [("09:00", "13:00")]},
        ("Gabinet 101", "Gabinet 102"),
    ),
)

SPECIALTIES = {
    "internal": "Choroby wewnętrzne",
    "paediatrics": "Pediatria",
    "cardiology": "Kardiologia",
    "dermatology": "Dermatologia",
    "gynaecology": "Ginekologia i położnictwo",
    "orthopaedics": "Ortopedia i traumatologia",
    "ent": "Otorynolaryngologia",
}

SERVICES = (
    _ServiceSpec("INT-CONS", "Konsultacja internistyczna", "internal", 15, "180.00"),
    _ServiceSpec(
        "TELE-CONS",
        "Teleporada internistyczna",
        "internal",
        15,
        "120.00",
        online=True,
        info="Lekarz zadzwoni na podany numer telefonu o umówionej godzinie.",
    ),
    _ServiceSpec("PED-VISIT", "Wizyta pediatryczna", "paediatrics", 20, "200.00", max_age=17),
    _ServiceSpec(
        "PED-VACC",
        "Szczepienie dziecka (kwalifikacja i podanie)",
        "paediatrics",
        20,
        "150.00",
        max_age=17,
        arrival_confirmation=True,
        info="Prosimy zabrać książeczkę zdrowia dziecka.",
    ),
    _ServiceSpec("CARD-CONS", "Konsultacja kardiologiczna", "cardiology", 30, "300.00"),
    _ServiceSpec(
        "CARD-ECHO",
        "Echo serca",
        "cardiology",
        30,
        "350.00",
        referral=True,
        info="Badanie wymaga skierowania od lekarza.",
    ),
    _ServiceSpec("DERM-CONS", "Konsultacja dermatologiczna", "dermatology", 20, "250.00"),
    _ServiceSpec("DERM-DERMO", "Dermatoskopia znamion", "dermatology", 40, "320.00"),
    _ServiceSpec(
        "GYN-CONS",
        "Wizyta ginekologiczna z cytologią",
        "gynaecology",
        30,
        "280.00",
        sex=Sex.FEMALE,
    ),
    _ServiceSpec("ORTH-CONS", "Konsultacja ortopedyczna", "orthopaedics", 20, "260.00"),
    _ServiceSpec("ENT-CONS", "Konsultacja laryngologiczna", "ent", 20, "240.00"),
)

_CLINIC_AND_ZL = Availability.CLINIC | Availability.ZNANYLEKARZ
DOCTORS = (
    _DoctorSpec("lek. Anna Kowalska", "internal", "pl en", "INT-CONS TELE-CONS", 15),
    _DoctorSpec("dr n. med. Marek Zieliński", "internal", "pl ru", "INT-CONS TELE-CONS", 15),
    _DoctorSpec("lek. Olena Szewczenko", "paediatrics", "pl uk ru", "PED-VISIT PED-VACC", 20),
    _DoctorSpec("lek. Piotr Nowak", "paediatrics", "pl en", "PED-VISIT PED-VACC", 20),
    _DoctorSpec(
        "dr hab. n. med. Tomasz Lewandowski",
        "cardiology internal",
        "pl en",
        "CARD-CONS CARD-ECHO",
        30,
    ),
    _DoctorSpec("dr n. med. Katarzyna Wójcik", "cardiology", "pl", "CARD-CONS CARD-ECHO", 30),
    _DoctorSpec("lek. Magdalena Kamińska", "dermatology", "pl en", "DERM-CONS DERM-DERMO", 20),
    _DoctorSpec("lek. Jakub Wiśniewski", "dermatology", "pl uk", "DERM-CONS DERM-DERMO", 20),
    _DoctorSpec("dr n. med. Ewa Dąbrowska", "gynaecology", "pl", "GYN-CONS", 30),
    _DoctorSpec("lek. Natalia Kozłowska", "gynaecology", "pl uk ru", "GYN-CONS", 30),
    _DoctorSpec("lek. Michał Jankowski", "orthopaedics", "pl en", "ORTH-CONS", 20),
    _DoctorSpec("dr n. med. Agnieszka Mazur", "ent", "pl", "ENT-CONS", 20),
)

_CLINIC = Availability.CLINIC
_BREAK_11 = (("11:00", "11:30"),)
_BREAK_13 = (("13:00", "13:30"),)
_BREAK_15 = (("15:00", "15:30"),)
SHIFTS = (
    _Shift("Kowalska", "waw", _WEEKDAYS, "08:00", "14:00", room="Gabinet 1", breaks=_BREAK_11),
    _Shift("Zieliński", "krk", (0, 2, 4), "12:00", "18:00", _CLINIC, breaks=_BREAK_15),
    _Shift("Zieliński", "krk", (1,), "08:00", "12:00", _CLINIC_AND_ZL),
    _Shift("Szewczenko", "waw", (0, 1, 2, 3), "09:00", "13:00", _CLINIC, room="Gabinet 2"),
    _Shift("Nowak", "krk", (1, 3), "14:00", "18:00"),
    _Shift("Lewandowski", "waw", (1, 3), "10:00", "16:00", breaks=_BREAK_13),
    _Shift("Wójcik", "krk", (0, 2), "08:00", "12:00", _CLINIC, room="Gabinet 101"),
    _Shift("Wójcik", "krk", (4,), "08:00", "12:00", Availability.PARTNERS, room="Gabinet 101"),
    _Shift("Kamińska", "waw", (0, 2, 4), "14:00", "19:00", _CLINIC, room="Gabinet 3"),
    _Shift("Wiśniewski", "krk", (1, 3), "09:00", "13:00", _CLINIC_AND_ZL),
    _Shift("Dąbrowska", "waw", (1, 3), "08:00", "13:00", room="Gabinet 4"),
    _Shift(
        "Kozłowska",
        "krk",
        (0, 2, 4),
        "13:00",
        "18:00",
        _CLINIC,
        room="Gabinet 102",
        breaks=_BREAK_15,
    ),
    _Shift("Jankowski", "waw", (0, 2), "12:00", "18:00", breaks=(("15:00", "15:20"),)),
    _Shift("Mazur", "krk", (1, 3, 4), "08:00", "12:00", _CLINIC, room="Gabinet 102"),
)

PATIENTS = (
    _PatientSpec(
        "Joanna",
        "Majewska",
        date(1985, 3, 14),
        Sex.FEMALE,
        412,
        "pl",
        {ContactKind.PHONE: "+48 601 234 501", ContactKind.TELEGRAM: "700100301"},
    ),
    _PatientSpec(
        "Krzysztof",
        "Pawlak",
        date(1972, 11, 2),
        Sex.MALE,
        87,
        "pl",
        {ContactKind.WHATSAPP: "+48 602 345 612"},
    ),
    _PatientSpec(
        "Oksana",
        "Bondarenko",
        date(1991, 7, 23),
        Sex.FEMALE,
        230,
        "uk",
        {ContactKind.PHONE: "+48 690 111 223"},
    ),
    _PatientSpec("Adam", "Grabowski", date(2019, 5, 9), Sex.MALE, 604, "pl"),
    _PatientSpec(
        "Emily",
        "Clarke",
        date(1988, 1, 30),
        Sex.FEMALE,
        715,
        "en",
        {ContactKind.EMAIL: "emily.clarke@example.com", ContactKind.PHONE: "+48 511 222 333"},
    ),
    _PatientSpec(
        "Zofia",
        "Krawczyk",
        date(1950, 9, 17),
        Sex.FEMALE,
        158,
        "pl",
        {ContactKind.PHONE: "+48 605 987 654"},
    ),
)


# -- seeding -------------------------------------------------------------------------


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
        )
        branches[spec.key] = branch
        for room_name in spec.rooms:
            rooms[(spec.key, room_name)] = await w.room(branch, room_name)
    specialties: dict[str, Specialty] = {
        code: await w.specialty(code, name) for code, name in SPECIALTIES.items()
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
