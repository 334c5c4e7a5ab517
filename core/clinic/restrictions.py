"""A service's restrictions (sex, age, referral, e-referral), explained rather than just refused."""

from __future__ import annotations

from datetime import date

from core.errors import RestrictionViolated
from core.models import Patient, Service
from core.patients.cards import age_on


def check_restrictions(
    service: Service,
    patient: Patient,
    visit_day: date,
    *,
    referral: str | None = None,
    check_referral: bool = False,
    e_referral: str | None = None,
) -> None:
    """Raise `RestrictionViolated` with a `reason` a channel can explain to the patient."""
    if service.sex is not None and patient.sex is not None and patient.sex != service.sex:
        raise RestrictionViolated("service is for the other sex", reason="sex", sex=service.sex)
    if service.min_age is not None or service.max_age is not None:
        if patient.birth_date is None:
            raise RestrictionViolated(
                "date of birth needed for this service", reason="birth_date_needed"
            )
        age = age_on(patient.birth_date, visit_day)
        if service.min_age is not None and age < service.min_age:
            raise RestrictionViolated(
                "patient too young", reason="age", min_age=service.min_age, max_age=service.max_age
            )
        if service.max_age is not None and age > service.max_age:
            raise RestrictionViolated(
                "patient too old", reason="age", min_age=service.min_age, max_age=service.max_age
            )
    if check_referral and service.referral_required and not (referral and referral.strip()):
        raise RestrictionViolated("referral required", reason="referral")
    if check_referral and service.e_referral_required and not e_referral:
        raise RestrictionViolated("e-referral required", reason="e_referral")


def may_have(service: Service, patient: Patient, visit_day: date) -> bool:
    """Whether the service's sex and age limits let `patient` have it (the phone offers a
    guardian only the people a service is for)."""
    try:
        check_restrictions(service, patient, visit_day)
    except RestrictionViolated:
        return False
    return True
