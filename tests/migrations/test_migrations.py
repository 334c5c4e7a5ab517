"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel


async def test_migrated_schema_matches_the_models(db):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
