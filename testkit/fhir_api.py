"""A partner's system calling the FHIR scheduling API of a running app over the small
clinic: a token per partner (and a member's own, which `/fhir` refuses), calls that hold
every answer to FHIR R4 (fhir.resources' R4B models), and the Parameters bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from fhir.resources.R4B import get_fhir_model_class

from core.clock import FrozenClock
from core.db.database import Database
from core.desk.accounts import NewStaff, StaffAccounts
from core.vocab import Channel, StaffRole
from frontdesk.app import create_app
from frontdesk.settings import Settings
from testkit.factories import SmallClinic, small_clinic
from testkit.staff_desk import FAST_HASHER, PASSWORD

Client = TestClient[web.Request, Any]
PESEL = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"


def valid(body: dict[str, Any]) -> dict[str, Any]:
    """The body, once FHIR's models accept it as the resource it says it is."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def patient(family: str = "Zielińska", given: str = "Maria", **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": [given]}],
        "birthDate": "1980-05-01",
        "gender": "female",
        **more,
    }


def parameters(**values: Any) -> dict[str, Any]:
    """A Parameters resource: a Patient or Appointment dict as `resource`, a "Type/id" as
    `valueReference`, any other text as `valueString`."""
    items = []
    for name, value in values.items():
        name = name.replace("_", "-")
        if isinstance(value, dict):
            items.append({"name": name, "resource": value})
        elif "/" in value:
            items.append({"name": name, "valueReference": {"reference": value}})
        else:
            items.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": items}


@dataclass
class FhirApi:
    client: Client
    clinic: SmallClinic
    tokens: dict[str, str]  # "luxmed", "ondoc", and "own" (a member's own token)
    clock: FrozenClock

    async def call(
        self, method: str, path: str, *, who: str = "luxmed", status: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        if "json" in kwargs:
            headers["Content-Type"] = "application/fhir+json"
        response = await self.client.request(method, "/fhir" + path, headers=headers, **kwargs)
        assert response.content_type == "application/fhir+json"
        body = await response.json(content_type=None)
        assert response.status == status, (response.status, body)
        return valid(body)

    async def find(self, start: datetime, end: datetime, **more: str) -> list[dict[str, Any]]:
        query = {"service-type": "CONS", "start": _at(start), "end": _at(end), **more}
        bundle = await self.call("GET", "/Appointment/$find", params=query)
        return [entry["resource"] for entry in bundle.get("entry", [])]

    async def hold(self, appointment_id: str, **kwargs: Any) -> dict[str, Any]:
        body = parameters(appointment_reference=f"Appointment/{appointment_id}")
        return await self.call("POST", "/Appointment/$hold", json=body, **kwargs)

    async def book(
        self, appointment_id: str, person: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        body = parameters(
            appointment_reference=f"Appointment/{appointment_id}", patient=person or patient()
        )
        return await self.call("POST", "/Appointment/$book", json=body, **kwargs)

    async def cancel(self, appointment_id: str, **kwargs: Any) -> dict[str, Any]:
        appointment = {
            "resourceType": "Appointment",
            "id": appointment_id,
            "status": "cancelled",
            "participant": [{"actor": {"display": "the partner"}, "status": "declined"}],
            "cancelationReason": {"text": "the patient cannot come"},
        }
        body = parameters(appointment=appointment)
        return await self.call("POST", "/Appointment/$book", json=body, **kwargs)


def _at(at: datetime) -> str:
    return at.isoformat()


async def start_fhir(
    aiohttp_client: Any, database_url: str, db: Database, clock: FrozenClock
) -> FhirApi:
    clinic = await small_clinic(db, clock, days=7)
    accounts = StaffAccounts(db, clock, hasher=FAST_HASHER)
    admin = await accounts.create(NewStaff("ola", "Ola Admin", StaffRole.ADMIN, PASSWORD))
    assert admin.id is not None
    tokens = {
        p.value: (await accounts.issue_token(admin.id, p.value, p)).raw
        for p in (Channel.LUXMED, Channel.ONDOC)
    }
    tokens["own"] = (await accounts.issue_token(admin.id, "own")).raw
    settings = Settings(database_url=database_url, secret_key="k" * 32, hold_minutes=5)
    client = await aiohttp_client(create_app(settings, clock=clock))
    return FhirApi(client, clinic, tokens, clock)
