"""Field helpers shared by the table modules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from core.db.types import StrEnumType, UTCDateTime

# Stable constraint names: migrations (and SQLite's table copies) refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc(*, nullable: bool = False, index: bool = False, default: datetime | None = None) -> Any:
    return Field(default=default, sa_type=UTCDateTime(), nullable=nullable, index=index)


def enum(enum_cls: type[StrEnum], *, default: Any = ..., index: bool = False) -> Any:
    return Field(default=default, sa_type=StrEnumType(enum_cls), nullable=False, index=index)


def optional_enum(enum_cls: type[StrEnum]) -> Any:
    return Field(default=None, sa_type=StrEnumType(enum_cls), nullable=True)
