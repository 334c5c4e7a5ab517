"""An operation as the partner is sent it: in the partner's ids (the mappings), the
visit with its patient read when it is delivered, or the reason there is nothing to
send. `PartnerSync` prepares each claimed operation here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.models import Booking, Contact, Doctor, PartnerBooking, PartnerOperation, Patient, Service
from core.partners.mappings import Mappings
from core.partners.port import Outbound, PartnerClient, PartnerPatient, Scope, Visit
from core.partners.publication import publication
from core.vocab import ContactKind, MappingKind, PartnerOpKind


async def prepare(
    session: AsyncSession,
    client: PartnerClient,
    op: PartnerOperation,
    maps: Mappings,
    clock: Clock,
) -> Outbound | str:
    """The operation in the partner's ids, or why there is nothing to send."""
    partner = client.partner
    key = f"{partner}:{op.key}"
    if op.kind is PartnerOpKind.PUBLISH_SLOTS:
        return await publication(session, client, op, key, maps, clock)
    remote: str | None = op.payload.get("remote_booking_id")  # a refused partner booking
    if op.booking_id is not None:
        remote = (
            await session.execute(
                select(col(PartnerBooking.remote_id)).where(
                    col(PartnerBooking.partner) == partner,
                    col(PartnerBooking.booking_id) == op.booking_id,
                )
            )
        ).scalar()
    if op.kind in (PartnerOpKind.CANCEL, PartnerOpKind.COMPLETE):
        if remote is None:
            return "not on the partner"
        reason = op.payload.get("reason", "")
        return Outbound(op.kind, key, remote_booking_id=remote, reason=reason)
    doctor = maps[MappingKind.DOCTOR].get(op.payload["doctor_id"])
    if doctor is None and client.scope is Scope.PATIENT:  # it knows our doctors by our ids
        doctor = str(op.payload["doctor_id"])
    if doctor is None:  # moved to a doctor the partner does not know: it leaves there
        if remote is None:
            return "doctor not mapped"
        return Outbound(
            PartnerOpKind.CANCEL, key, remote_booking_id=remote, reason="moved elsewhere"
        )
    visit = await _visit(session, op, doctor, maps)
    if op.kind is PartnerOpKind.MOVE and remote is not None:
        return Outbound(PartnerOpKind.MOVE, key, remote_booking_id=remote, visit=visit)
    return Outbound(PartnerOpKind.BOOK, key, visit=visit)


async def _visit(session: AsyncSession, op: PartnerOperation, doctor: str, maps: Mappings) -> Visit:
    booking = await session.get_one(Booking, op.booking_id)
    patient = await session.get_one(Patient, booking.patient_id)
    contacts = {
        c.kind: c.value
        for c in (
            await session.execute(
                select(Contact)
                .where(col(Contact.patient_id) == patient.id)
                .order_by(col(Contact.priority).desc())
            )
        ).scalars()
    }
    services, patients = maps[MappingKind.SERVICE], maps[MappingKind.PATIENT]
    who = await session.get_one(Doctor, booking.doctor_id)
    what = await session.get_one(Service, booking.service_id)
    return Visit(
        doctor=doctor,
        service=services.get(booking.service_id),
        doctor_name=who.display_name,
        service_name=what.name,
        e_referral=booking.e_referral,
        start_at=datetime.fromisoformat(op.payload["start_at"]),
        end_at=datetime.fromisoformat(op.payload["end_at"]),
        patient=PartnerPatient(
            first_name=patient.first_name,
            last_name=patient.last_name,
            email=contacts.get(ContactKind.EMAIL),
            phone=contacts.get(ContactKind.PHONE),
            birth_date=patient.birth_date,
            pesel=patient.pesel,
            sex=patient.sex,
            remote_id=patients.get(booking.patient_id),
        ),
    )
