"""The clinic's structure: branches, specialties, doctors, rooms and the services catalog."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Numeric
from sqlmodel import Field, SQLModel

from core.db.types import StrEnumType
from core.models._columns import enum
from core.vocab import ServiceMode, Sex


class Clinic(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    currency: str = Field(default="PLN", max_length=3)
    default_language: str = Field(default="pl", max_length=5)
    # CeR's rule kept in every channel: one future visit per patient and service.
    one_booking_per_service: bool = False


class Branch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    city: str = Field(max_length=100)
    timezone: str = Field(default="Europe/Warsaw", max_length=64)
    phone: str = Field(max_length=20)
    names: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # {"en": "..."}; pl: name
    # {"0": [["08:00", "20:00"]], ...}: weekday (Monday = 0) to local opening periods.
    opening_hours: dict[str, list[list[str]]] = Field(default_factory=dict, sa_type=JSON)


class Specialty(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=50, unique=True)
    name: str = Field(max_length=200)  # Polish, and the fallback of every language
    names: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # {"en": "Cardiology"}


class Doctor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    title: str = Field(default="lek.", max_length=50)  # Polish, and every language's fallback
    titles: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # {"en": "Dr"}
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    active: bool = True

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name}".strip()


class DoctorSpecialty(SQLModel, table=True):
    __tablename__ = "doctor_specialty"
    doctor_id: int = Field(foreign_key="doctor.id", primary_key=True)
    specialty_id: int = Field(foreign_key="specialty.id", primary_key=True, index=True)


class DoctorLanguage(SQLModel, table=True):
    """A language the doctor speaks with patients (pl, uk, ru, en, ...)."""

    __tablename__ = "doctor_language"
    doctor_id: int = Field(foreign_key="doctor.id", primary_key=True)
    language: str = Field(max_length=5, primary_key=True, index=True)


class Room(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    name: str = Field(max_length=100)


class Service(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id", index=True)
    code: str = Field(max_length=50, unique=True)
    name: str = Field(max_length=200)  # Polish, and the fallback of every language
    names: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # {"uk": "...", ...}
    specialty_id: int | None = Field(default=None, foreign_key="specialty.id", index=True)
    duration_minutes: int
    price: Decimal = Field(sa_type=Numeric(10, 2))
    currency: str = Field(default="PLN", max_length=3)
    sex: Sex | None = Field(default=None, sa_type=StrEnumType(Sex), nullable=True)
    min_age: int | None = None
    max_age: int | None = None
    referral_required: bool = False
    nfz_contracted: bool = False  # published to CeR (Poland's central e-registration)
    e_referral_required: bool = False  # booked only with an e-referral (e-skierowanie)
    arrival_confirmation_required: bool = False
    patient_info: str = Field(default="", max_length=2000)
    mode: ServiceMode = enum(ServiceMode, default=ServiceMode.IN_PERSON)
    active: bool = True
    discreet: bool = False  # its name, doctor and specialty never written in a message


class DoctorService(SQLModel, table=True):
    """Which services a doctor performs."""

    __tablename__ = "doctor_service"
    doctor_id: int = Field(foreign_key="doctor.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True, index=True)
