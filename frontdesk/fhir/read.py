"""FHIR coming in, checked before anything acts on it: a body's media type, JSON and
resource type; the Parameters of an operation; references, instants and search prefixes;
the Patient a partner books for. Every refusal is an `InvalidInput` naming the field,
never quoting what was sent (it may hold a patient's data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.errors import InvalidInput
from core.patients.arrivals import Arrival
from core.vocab import Sex

MEDIA_TYPES = frozenset({"application/fhir+json", "application/json"})
PESEL_SYSTEM = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"  # Poland's PESEL (HL7 PL)
MAX_TEXT = 200
MAX_PARAMETERS = 50
_REFERENCE = re.compile(r"(?:.*/)?(?P<type>[A-Z][A-Za-z]{1,40})/(?P<id>[A-Za-z0-9\-.]{1,64})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PREFIXES = ("ge", "gt", "le", "lt", "eq")


class UnsupportedMedia(InvalidInput):
    """The body is not FHIR JSON (answered 415)."""

    code = "unsupported_media_type"


def resource_of(raw: bytes, content_type: str, expected: str) -> dict[str, Any]:
    """The body as a resource of type `expected`."""
    if content_type not in MEDIA_TYPES:
        raise UnsupportedMedia("send application/fhir+json", field="Content-Type")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body is not a FHIR resource", field="body")
    if data.get("resourceType") != expected:
        raise InvalidInput(f"expected a {expected} resource", field="resourceType")
    return data


@dataclass(frozen=True)
class Parameters:
    """An operation's Parameters resource, read by name."""

    by_name: Mapping[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, resource: dict[str, Any]) -> Parameters:
        items = resource.get("parameter", [])
        if not isinstance(items, list) or len(items) > MAX_PARAMETERS:
            raise InvalidInput("parameter is a list (of at most 50)", field="parameter")
        by_name: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise InvalidInput("every parameter has a name", field="parameter")
            by_name.setdefault(item["name"], []).append(item)
        return cls(by_name)

    def one(self, name: str) -> dict[str, Any] | None:
        found = self.by_name.get(name, [])
        if len(found) > 1:
            raise InvalidInput("given more than once", field=name)
        return found[0] if found else None

    def resource(self, name: str, resource_type: str) -> dict[str, Any] | None:
        item = self.one(name)
        if item is None:
            return None
        resource = item.get("resource")
        if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
            raise InvalidInput(f"expected a {resource_type} resource", field=name)
        return resource

    def reference(self, name: str) -> str | None:
        item = self.one(name)
        if item is None:
            return None
        value = item.get("valueReference")
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str):
            raise InvalidInput("expected a valueReference", field=name)
        return reference

    def text(self, name: str) -> str | None:
        """A parameter's value as the text a query string would carry."""
        item = self.one(name)
        return None if item is None else as_text(name, item)

    def texts(self) -> dict[str, list[str]]:
        """Every parameter as text, as a query string's parameters are."""
        return {
            name: [as_text(name, item) for item in items] for name, items in self.by_name.items()
        }


def as_text(name: str, item: Mapping[str, Any]) -> str:
    """A parameter's value of a simple type, a reference, a coding or a concept, as text."""
    for key in ("valueString", "valueCode", "valueDateTime", "valueInstant", "valueDate"):
        if isinstance(item.get(key), str):
            return _short(name, item[key])
    if isinstance(item.get("valueInteger"), int) and not isinstance(item["valueInteger"], bool):
        return str(item["valueInteger"])
    reference = item.get("valueReference")
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        return _short(name, reference["reference"])
    coding = item.get("valueCoding")
    concept = item.get("valueCodeableConcept")
    if isinstance(concept, dict) and isinstance(concept.get("coding"), list) and concept["coding"]:
        coding = concept["coding"][0]
    if isinstance(coding, dict) and isinstance(coding.get("code"), str):
        return _short(name, coding["code"])
    identifier = item.get("valueIdentifier")
    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
        return _short(name, identifier["value"])
    raise InvalidInput("a value of an unexpected type", field=name)


def _short(name: str, value: str) -> str:
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"at most {MAX_TEXT} characters", field=name)
    return value


def reference_to(text: str, resource_type: str, field: str) -> str:
    """The id a reference ("Practitioner/7", or an absolute URL ending so) names."""
    match = _REFERENCE.fullmatch(text)
    if match is None or match["type"] != resource_type:
        raise InvalidInput(f"expected a reference to a {resource_type}", field=field)
    return match["id"]


def number_id(text: str, field: str) -> int:
    """One of our integer ids."""
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InvalidInput("no such id here", field=field)
    return int(text)


def instant(text: str, field: str, *, end_of_day: bool = False) -> datetime:
    """A FHIR date or dateTime as an aware instant; a date alone is a UTC day (its start,
    or the next day's start with `end_of_day`). A time without its zone is refused."""
    if _DATE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("not a date", field=field) from None
        at = datetime.combine(day, time(), tzinfo=UTC)
        return at + timedelta(days=1) if end_of_day else at
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("not a FHIR dateTime", field=field) from None
    if at.tzinfo is None:
        raise InvalidInput("a time needs its zone", field=field)
    return at


@dataclass(frozen=True)
class Window:
    """A `start` search parameter's bounds (prefixes ge, gt, le, lt, eq)."""

    low: datetime | None = None
    high: datetime | None = None

    @classmethod
    def of(cls, values: Iterable[str], field: str = "start") -> Window:
        low: datetime | None = None
        high: datetime | None = None
        for value in values:
            prefix, rest = (value[:2], value[2:]) if value[:2] in _PREFIXES else ("eq", value)
            if prefix in ("ge", "gt", "eq"):
                low = _later(low, instant(rest, field, end_of_day=prefix == "gt"))
            if prefix in ("le", "lt") or (prefix == "eq" and _DATE.fullmatch(rest)):
                high = _earlier(high, instant(rest, field, end_of_day=prefix != "lt"))
        if low is not None and high is not None and high <= low:
            raise InvalidInput("the period is empty", field=field)
        return cls(low, high)


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None else max(a, b)


def _earlier(a: datetime | None, b: datetime) -> datetime:
    return b if a is None else min(a, b)


def arrival(patient: Mapping[str, Any]) -> Arrival:
    """The Patient a partner books for: a name (family and given) required; birthDate,
    gender, a PESEL identifier, a phone and an e-mail when given."""
    names = patient.get("name")
    name = names[0] if isinstance(names, list) and names and isinstance(names[0], dict) else {}
    family = name.get("family")
    given = name.get("given")
    first = given[0] if isinstance(given, list) and given else None
    if not isinstance(family, str) or not isinstance(first, str):
        raise InvalidInput("the patient's family and given name are required", field="name")
    if not (0 < len(family.strip()) <= 100 and 0 < len(first.strip()) <= 100):
        raise InvalidInput("a name has 1 to 100 characters", field="name")
    born = patient.get("birthDate")
    if born is not None and not (isinstance(born, str) and _DATE.fullmatch(born)):
        raise InvalidInput("birthDate is a date", field="birthDate")
    try:
        birth_date = date.fromisoformat(born) if born else None
    except ValueError:
        raise InvalidInput("birthDate is a date", field="birthDate") from None
    return Arrival(
        first_name=first.strip(),
        last_name=family.strip(),
        birth_date=birth_date,
        sex={"female": Sex.FEMALE, "male": Sex.MALE}.get(str(patient.get("gender"))),
        pesel=_identifier(patient.get("identifier"), PESEL_SYSTEM),
        email=_telecom(patient.get("telecom"), "email"),
        phone=_telecom(patient.get("telecom"), "phone"),
    )


def _identifier(identifiers: object, system: str) -> str | None:
    for item in identifiers if isinstance(identifiers, list) else []:
        if isinstance(item, dict) and item.get("system") == system:
            value = item.get("value")
            if not isinstance(value, str) or len(value) > 20:
                raise InvalidInput("a PESEL is 11 digits", field="identifier")
            return value
    return None


def _telecom(points: object, system: str) -> str | None:
    for item in points if isinstance(points, list) else []:
        if isinstance(item, dict) and item.get("system") == system:
            value = item.get("value")
            if isinstance(value, str) and len(value) <= MAX_TEXT:
                return value
    return None
