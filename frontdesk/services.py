"""The engine's services built once from settings: shared by the web app and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.booking import BookingService
from core.catalog import Catalog
from core.clock import Clock
from core.db.database import Database
from core.patients import PatientService
from core.schedule import ScheduleService
from core.search import SlotSearch
from core.waitlist import WaitlistPolicy, WaitlistService
from frontdesk.settings import Settings


@dataclass(frozen=True)
class Services:
    """One database, one clock, and every core service over them."""

    db: Database
    clock: Clock
    catalog: Catalog
    search: SlotSearch
    booking: BookingService
    patients: PatientService
    waitlist: WaitlistService
    schedule: ScheduleService


def build_services(db: Database, clock: Clock, settings: Settings) -> Services:
    """Wire the core services with the policy numbers from the settings."""
    policy = WaitlistPolicy(
        offer_ttl=timedelta(minutes=settings.waitlist_offer_minutes),
        fan_out=settings.waitlist_fan_out,
    )
    return Services(
        db=db,
        clock=clock,
        catalog=Catalog(db),
        search=SlotSearch(db, clock),
        booking=BookingService(
            db, clock, hold_ttl=timedelta(minutes=settings.hold_minutes), waitlist=policy
        ),
        patients=PatientService(db, clock),
        waitlist=WaitlistService(db, clock, policy),
        schedule=ScheduleService(db, clock),
    )
