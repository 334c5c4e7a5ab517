"""Setting up a clinic's structure: branches, specialties, doctors, services, templates.

Used by the demo seed, the tests and the benchmarks now, and by the staff
desk later; everything is validated on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from core.clinic.grid import check_on_grid, check_template
from core.clinic.names import checked_names
from core.errors import InvalidInput
from core.models import (
    Branch,
    Clinic,
    Doctor,
    DoctorLanguage,
    DoctorService,
    DoctorSpecialty,
    Room,
    ScheduleBreak,
    ScheduleTemplate,
    Service,
    Specialty,
)
from core.patients.identity import normalize_phone
from core.vocab import Availability, ServiceMode, Sex

Row = TypeVar("Row")


class StructureWriter:
    """Adds structure inside one transaction; ids are assigned as rows are added."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(self, row: Row) -> Row:
        self.session.add(row)
        await self.session.flush()
        return row

    async def clinic(self, name: str, *, currency: str = "PLN", language: str = "pl") -> Clinic:
        return await self._add(Clinic(name=name, currency=currency, default_language=language))

    async def branch(
        self,
        clinic: Clinic,
        name: str,
        *,
        address: str,
        city: str,
        phone: str,
        timezone: str = "Europe/Warsaw",
        opening_hours: dict[int, list[tuple[str, str]]] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Branch:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput("unknown time zone", field="timezone") from exc
        hours = {
            str(day): [
                [
                    time.fromisoformat(a).isoformat("minutes"),
                    time.fromisoformat(b).isoformat("minutes"),
                ]
                for a, b in periods
            ]
            for day, periods in (opening_hours or {}).items()
        }
        assert clinic.id is not None
        return await self._add(
            Branch(
                clinic_id=clinic.id,
                name=name,
                address=address,
                city=city,
                phone=normalize_phone(phone),
                timezone=timezone,
                opening_hours=hours,
                names=checked_names(names),
            )
        )

    async def room(self, branch: Branch, name: str) -> Room:
        assert branch.id is not None
        return await self._add(Room(branch_id=branch.id, name=name))

    async def specialty(
        self, code: str, name: str, names: Mapping[str, str] | None = None
    ) -> Specialty:
        return await self._add(Specialty(code=code, name=name, names=checked_names(names)))

    async def service(
        self,
        clinic: Clinic,
        code: str,
        name: str,
        *,
        minutes: int,
        price: Decimal | str,
        specialty: Specialty | None = None,
        sex: Sex | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        referral_required: bool = False,
        arrival_confirmation_required: bool = False,
        patient_info: str = "",
        mode: ServiceMode = ServiceMode.IN_PERSON,
        names: Mapping[str, str] | None = None,
    ) -> Service:
        check_on_grid(minutes, "service duration")
        amount = Decimal(price)
        if amount < 0:
            raise InvalidInput("a price cannot be negative", field="price")
        if min_age is not None and max_age is not None and min_age > max_age:
            raise InvalidInput("minimum age above maximum age", field="min_age")
        assert clinic.id is not None
        return await self._add(
            Service(
                clinic_id=clinic.id,
                code=code,
                name=name,
                names=checked_names(names),
                duration_minutes=minutes,
                price=amount,
                currency=clinic.currency,
                specialty_id=specialty.id if specialty else None,
                sex=sex,
                min_age=min_age,
                max_age=max_age,
                referral_required=referral_required,
                arrival_confirmation_required=arrival_confirmation_required,
                patient_info=patient_info,
                mode=mode,
            )
        )

    async def doctor(
        self,
        clinic: Clinic,
        first_name: str,
        last_name: str,
        *,
        title: str = "lek.",
        titles: Mapping[str, str] | None = None,
        specialties: Iterable[Specialty] = (),
        languages: Iterable[str] = ("pl",),
        services: Iterable[Service] = (),
    ) -> Doctor:
        assert clinic.id is not None
        doctor = await self._add(
            Doctor(
                clinic_id=clinic.id,
                title=title,
                titles=checked_names(titles),
                first_name=first_name,
                last_name=last_name,
            )
        )
        assert doctor.id is not None
        for specialty in specialties:
            assert specialty.id is not None
            self.session.add(DoctorSpecialty(doctor_id=doctor.id, specialty_id=specialty.id))
        for language in set(languages):
            self.session.add(DoctorLanguage(doctor_id=doctor.id, language=language))
        for service in services:
            assert service.id is not None
            self.session.add(DoctorService(doctor_id=doctor.id, service_id=service.id))
        await self.session.flush()
        return doctor

    async def template(
        self,
        doctor: Doctor,
        branch: Branch,
        *,
        weekdays: Iterable[int],
        start: str,
        end: str,
        slot_minutes: int = 15,
        valid_from: date,
        valid_until: date | None = None,
        availability: Availability = Availability.ALL,
        room: Room | None = None,
        breaks: Iterable[tuple[str, str]] = (),
    ) -> list[ScheduleTemplate]:
        """One template per weekday (Monday = 0), each with the same breaks."""
        assert doctor.id is not None
        assert branch.id is not None
        made = []
        for weekday in weekdays:
            template = ScheduleTemplate(
                doctor_id=doctor.id,
                branch_id=branch.id,
                room_id=room.id if room else None,
                weekday=weekday,
                start_time=time.fromisoformat(start),
                end_time=time.fromisoformat(end),
                slot_minutes=slot_minutes,
                valid_from=valid_from,
                valid_until=valid_until,
                availability=int(availability),
            )
            check_template(template)
            await self._add(template)
            assert template.id is not None
            for brk_start, brk_end in breaks:
                self.session.add(
                    ScheduleBreak(
                        template_id=template.id,
                        start_time=time.fromisoformat(brk_start),
                        end_time=time.fromisoformat(brk_end),
                    )
                )
            made.append(template)
        await self.session.flush()
        return made
