"""What CeR (Poland's central e-registration) is owed from the catalog: the services
marked NFZ-contracted, known to it by their catalog code, and the doctors performing
them, whose schedules are theirs by our id. Staff may map a service to another code
(NFZ's own) at the desk; what is mapped already is kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from core.clock import Clock
from core.db.database import Database
from core.models import Doctor, DoctorService, Service
from core.partners.desk import PartnerDesk
from core.partners.mappings import remote_ids
from core.vocab import Channel, MappingKind


async def map_nfz_services(db: Database, clock: Clock) -> int:
    """Map to CeR what the NFZ flags open and is not mapped yet; how many mappings were
    added (each queues its calendars for publishing, `core.partners.plan`)."""
    async with db.read() as session:
        services = {
            s.id: s.code
            for s in (
                await session.execute(
                    select(Service).where(col(Service.nfz_contracted), col(Service.active))
                )
            ).scalars()
        }
        doctors = set(
            (
                await session.execute(
                    select(col(DoctorService.doctor_id))
                    .join(Doctor, col(Doctor.id) == col(DoctorService.doctor_id))
                    .where(col(DoctorService.service_id).in_(services), col(Doctor.active))
                )
            ).scalars()
        )
        known = {
            kind: await remote_ids(session, Channel.CER, kind)
            for kind in (MappingKind.SERVICE, MappingKind.DOCTOR)
        }
    desk = PartnerDesk(db, clock)
    added = 0
    for doctor in sorted(doctors - known[MappingKind.DOCTOR].keys()):
        await desk.map(Channel.CER, MappingKind.DOCTOR, doctor, str(doctor))
        added += 1
    for service, code in sorted(services.items()):
        if service is not None and service not in known[MappingKind.SERVICE]:
            await desk.map(Channel.CER, MappingKind.SERVICE, service, code)
            added += 1
    return added
