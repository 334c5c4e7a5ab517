"""Applying these alembic migrations from code (the CLI, the tests, the benchmarks).

They live beside the versions, above `core/` (whose models `env.py` reads): the engine
never runs its own migrations; the composition root does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

MIGRATIONS = Path(__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (blocking; run outside a loop)."""
    command.upgrade(alembic_config(url), "head")


async def upgrade_async(url: str) -> None:
    """The same from inside a running event loop (alembic's env starts its own)."""
    await asyncio.to_thread(upgrade, url)


class UnknownRevision(ValueError):
    """The database is at a revision these scripts do not have (a newer version ran)."""


def pending(current: str | None) -> list[str]:
    """The revisions not yet applied over `current` (None: an empty database), oldest
    first; empty when the schema is the newest. Reads the scripts, not the database."""
    script = ScriptDirectory.from_config(alembic_config(""))
    try:
        revisions = list(script.iterate_revisions("heads", current))
    except (RevisionError, CommandError):
        raise UnknownRevision(current) from None
    return [revision.revision for revision in reversed(revisions)]
