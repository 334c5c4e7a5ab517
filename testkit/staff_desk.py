"""A clinic with two branches and one account per role, for the staff desk's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from core.clinic.structure import StructureWriter
from core.clock import Clock
from core.db.database import Database
from core.desk.accounts import NewStaff, StaffAccounts
from core.desk.scope import StaffScope
from core.models import Branch, Clinic, Doctor, StaffMember
from core.schedule.templates import ScheduleService
from core.vocab import StaffRole
from testkit.factories import SmallClinic, small_clinic

PASSWORD = "correct horse battery staple"
# Cheap parameters: the tests check the flow, not argon2's cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
# An admin's scope, for tests that work the desk through the core without accounts.
ADMIN = StaffScope(staff_id=1, login="ola", role=StaffRole.ADMIN, branch_ids=None, doctor_id=None)


@dataclass
class Desk:
    clinic: SmallClinic
    other_branch: Branch  # "Wola", where only `other_doctor` works
    other_doctor: Doctor
    admin: StaffMember
    registrar: StaffMember  # of the clinic's first branch (Mokotów) only
    other_registrar: StaffMember  # of Wola only
    doctor: StaffMember  # the internist's own account


async def desk(db: Database, clock: Clock, accounts: StaffAccounts | None = None) -> Desk:
    built = await small_clinic(db, clock, days=14)
    today = clock.now().date()

    async def work(session: AsyncSession) -> tuple[Branch, Doctor]:
        w = StructureWriter(session)
        clinic = await session.get_one(Clinic, built.branch.clinic_id)
        wola = await w.branch(
            clinic,
            "Wola",
            address="ul. Wolska 2",
            city="Warszawa",
            phone="+48 22 200 00 00",
            opening_hours={d: [("08:00", "18:00")] for d in range(5)},
        )
        doctor = await w.doctor(clinic, "Marek", "Zieliński", services=[built.consult])
        await w.template(
            doctor,
            wola,
            weekdays=range(5),
            start="08:00",
            end="12:00",
            slot_minutes=15,
            valid_from=today,
        )
        return wola, doctor

    wola, other_doctor = await db.write(work)
    await ScheduleService(db, clock).regenerate(today, today + timedelta(days=14))
    accounts = accounts or StaffAccounts(db, clock, hasher=FAST_HASHER)
    assert built.branch.id is not None
    assert wola.id is not None
    return Desk(
        clinic=built,
        other_branch=wola,
        other_doctor=other_doctor,
        admin=await accounts.create(NewStaff("admin", "Alicja Admin", StaffRole.ADMIN, PASSWORD)),
        registrar=await accounts.create(
            NewStaff(
                "reg",
                "Renata Rejestracja",
                StaffRole.REGISTRAR,
                PASSWORD,
                branch_ids=(built.branch.id,),
            )
        ),
        other_registrar=await accounts.create(
            NewStaff(
                "reg-wola", "Wiesław Wola", StaffRole.REGISTRAR, PASSWORD, branch_ids=(wola.id,)
            )
        ),
        doctor=await accounts.create(
            NewStaff(
                "kowalska",
                "Anna Kowalska",
                StaffRole.DOCTOR,
                PASSWORD,
                doctor_id=built.internist.id,
            )
        ),
    )
