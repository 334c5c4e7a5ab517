"""The demo clinic's tables: its branches, specialties, services, doctors, weekly
shifts and patients, and the PESELs that make the patients' cards valid.

Every person here is made up; the PESELs are generated with a valid checksum and
the phone numbers are fake. frontdesk/demo/seed.py writes them through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.vocab import Availability, ContactKind, Sex

ZONE = "Europe/Warsaw"
CLINIC_NAME = "Centrum Medyczne Zdrowie"

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

# The catalog's names in the other three languages (Polish is `name`, and the fallback).
SPECIALTY_NAMES: dict[str, dict[str, str]] = {
    "internal": {"en": "Internal medicine", "uk": "Внутрішні хвороби", "ru": "Внутренние болезни"},
    "paediatrics": {"en": "Paediatrics", "uk": "Педіатрія", "ru": "Педиатрия"},
    "cardiology": {"en": "Cardiology", "uk": "Кардіологія", "ru": "Кардиология"},
    "dermatology": {"en": "Dermatology", "uk": "Дерматологія", "ru": "Дерматология"},
    "gynaecology": {
        "en": "Gynaecology and obstetrics",
        "uk": "Гінекологія та акушерство",
        "ru": "Гинекология и акушерство",
    },
    "orthopaedics": {
        "en": "Orthopaedics and traumatology",
        "uk": "Ортопедія та травматологія",
        "ru": "Ортопедия и травматология",
    },
    "ent": {"en": "Ear, nose and throat", "uk": "Отоларингологія", "ru": "Оториноларингология"},
}
BRANCH_NAMES: dict[str, dict[str, str]] = {
    "waw": {"en": "Warsaw Mokotów", "uk": "Варшава, Мокотів", "ru": "Варшава, Мокотув"},
    "krk": {"en": "Kraków Kazimierz", "uk": "Краків, Казімеж", "ru": "Краков, Казимеж"},
}
# A doctor's title by its Polish form: "lek." is a physician, "dr n. med." holds a
# doctorate in medicine, "dr hab. n. med." a habilitation too.
TITLES: dict[str, dict[str, str]] = {
    "lek.": {"en": "Dr", "uk": "лікар", "ru": "врач"},
    "dr n. med.": {"en": "Dr", "uk": "лікар, к. мед. н.", "ru": "врач, к. м. н."},
    "dr hab. n. med.": {"en": "Dr habil.", "uk": "д-р мед. н.", "ru": "д-р мед. н."},
}
SERVICE_NAMES: dict[str, dict[str, str]] = {
    "INT-CONS": {
        "en": "Internal medicine consultation",
        "uk": "Консультація терапевта",
        "ru": "Консультация терапевта",
    },
    "TELE-CONS": {
        "en": "Internal medicine consultation by phone",
        "uk": "Телеконсультація терапевта",
        "ru": "Телеконсультация терапевта",
    },
    "PED-VISIT": {"en": "Paediatric visit", "uk": "Візит до педіатра", "ru": "Визит к педиатру"},
    "PED-VACC": {
        "en": "Child vaccination (check and injection)",
        "uk": "Щеплення дитини (огляд і введення)",
        "ru": "Прививка ребёнку (осмотр и введение)",
    },
    "CARD-CONS": {
        "en": "Cardiology consultation",
        "uk": "Консультація кардіолога",
        "ru": "Консультация кардиолога",
    },
    "CARD-ECHO": {
        "en": "Heart ultrasound (echo)",
        "uk": "ЕхоКГ (УЗД серця)",
        "ru": "ЭхоКГ (УЗИ сердца)",
    },
    "DERM-CONS": {
        "en": "Dermatology consultation",
        "uk": "Консультація дерматолога",
        "ru": "Консультация дерматолога",
    },
    "DERM-DERMO": {
        "en": "Mole check (dermatoscopy)",
        "uk": "Дерматоскопія родимок",
        "ru": "Дерматоскопия родинок",
    },
    "GYN-CONS": {
        "en": "Gynaecological visit with a smear test",
        "uk": "Візит до гінеколога з цитологією",
        "ru": "Визит к гинекологу с цитологией",
    },
    "ORTH-CONS": {
        "en": "Orthopaedic consultation",
        "uk": "Консультація ортопеда",
        "ru": "Консультация ортопеда",
    },
    "ENT-CONS": {
        "en": "Ear, nose and throat consultation",
        "uk": "Консультація ЛОР-лікаря",
        "ru": "Консультация ЛОР-врача",
    },
}
