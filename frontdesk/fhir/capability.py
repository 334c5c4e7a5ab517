"""`GET /fhir/metadata`: the CapabilityStatement, what this server does in FHIR's words
(IHE ITI Scheduling's server, with the search parameters and operations we honour)."""

from __future__ import annotations

from typing import Any

IHE = "https://profiles.ihe.net/ITI/Scheduling"
RELEASED = "2026-12-06"

SLOT_SEARCH = (
    ("service-type", "token", "one of our service codes (urn:frontdesk:service)"),
    ("schedule", "reference", "Schedule/<doctor>-<branch>, as in the SMART feed"),
    ("schedule.actor", "reference", "Practitioner/<id> or Location/<id>"),
    ("start", "date", "ge, gt, le, lt or eq; a date alone is a UTC day"),
    ("status", "token", "free (the only status listed)"),
    ("_count", "number", "1 to 100, 20 by default"),
)
OPERATIONS = (
    ("find", "appointment-find", "ITI-115: free appointment options of a service"),
    ("hold", "appointment-hold", "ITI-116: keep an option while the patient decides"),
    ("book", "appointment-book", "ITI-117: book an option or a hold; cancel a booking"),
)


def capability_statement(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "kind": "instance",
        "instantiates": [f"{IHE}/CapabilityStatement/IHE.Scheduling.server"],
        "software": {"name": "frontdesk"},
        "implementation": {"description": "The clinic's scheduling API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": (
                        "Authorization: Bearer <token>: a staff API token scoped to a partner "
                        "(POST /api/v1/me/tokens with partner, by an admin)"
                    ),
                },
                "resource": [
                    {"type": "HealthcareService", "interaction": [{"code": "search-type"}]},
                    {"type": "Schedule", "interaction": [{"code": "read"}]},
                    {
                        "type": "Slot",
                        "interaction": [{"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": kind, "documentation": doc}
                            for name, kind, doc in SLOT_SEARCH
                        ],
                    },
                    {
                        "type": "Appointment",
                        "profile": f"{IHE}/StructureDefinition/ihe-sched-appt",
                        "interaction": [{"code": "read"}],
                        "operation": [
                            {
                                "name": name,
                                "definition": f"{IHE}/OperationDefinition/{definition}",
                                "documentation": doc,
                            }
                            for name, definition, doc in OPERATIONS
                        ],
                    },
                ],
            }
        ],
    }
