"""Building blocks of the staff API's request and response models: strict input
(no NUL characters, no unpaired surrogates, sane instants), and the one page
envelope every list answers with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Annotated, Any, Generic, TypeVar

from aiohttp import web
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from edge.text import problem
from frontdesk import keys
from frontdesk.staff.api.openapi import MAX_ID

T = TypeVar("T")

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _sane_instant(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a time between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_sane_instant)]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local time of day, without a zone")
    return value


# A time of day on the branch's wall clock: JSON Schema's "time" format demands an offset,
# which a local time has none of, so the document gives the pattern instead.
LocalTime = Annotated[
    time,
    AfterValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "Local time of day, HH:MM[:SS]",
        }
    ),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        refused = problem(value)
        if refused is not None:
            raise ValueError(refused)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


class Input(BaseModel):
    """A request's query or body: unknown fields refused, every text checked."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        _check_text(data)
        return data


class Paging(Input):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Items to skip")


class Output(BaseModel):
    """A response body read straight off a table row's attributes."""

    model_config = ConfigDict(from_attributes=True)


class WithPatient(Output):
    """A row about a patient's card (or an unknown caller's), shown with the card's name."""

    patient_id: int | None = Field(description="null: the caller was not identified")
    patient_name: str | None = None


W = TypeVar("W", bound=WithPatient)


async def with_patient_names(request: web.Request, model: type[W], rows: Sequence[Any]) -> list[W]:
    """`rows` as `model`, each with its card's name, read in one go."""
    names = await request.app[keys.SERVICES].patients.names(
        r.patient_id for r in rows if r.patient_id
    )
    return [
        model.model_validate(r).model_copy(update={"patient_name": names.get(r.patient_id)})
        for r in rows
    ]


class Page(BaseModel, Generic[T]):
    """One page of a list: `has_more` says whether `offset + limit` finds more."""

    items: list[T]
    limit: int
    offset: int
    has_more: bool


P = TypeVar("P", bound=Page[Any])


def paged(page: type[P], items: Sequence[Any], paging: Paging, *, has_more: bool) -> P:
    """The page of `items` (rows or models) read with `paging`."""
    return page(items=list(items), limit=paging.limit, offset=paging.offset, has_more=has_more)


def page_of(page: type[P], items: Sequence[Any], paging: Paging) -> P:
    """A page cut from a short list that is read whole (a booking's history)."""
    end = paging.offset + paging.limit
    return paged(page, items[paging.offset : end], paging, has_more=len(items) > end)
