"""`frontdesk check` on the database: unreachable, not migrated, migrations pending, a
revision this version does not know, no clinic, partners with unmapped doctors."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import text

from core.clock import FrozenClock
from core.db.database import Database
from core.vocab import Channel
from frontdesk.checks.database import database_findings
from frontdesk.checks.report import Finding, Level
from migrations.apply import alembic_config
from testkit.factories import small_clinic


def by_subject(findings: list[Finding]) -> dict[str, Finding]:
    return {f.subject: f for f in findings}


async def _at(tmp_path: Path, revision: str | None) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path}/at.db"
    if revision is not None:
        await asyncio.to_thread(command.upgrade, alembic_config(url), revision)
    return Database.from_url(url)


async def test_pending_migrations_block_and_are_named(tmp_path: Path) -> None:
    db = await _at(tmp_path, "0006")
    try:
        [finding] = await database_findings(db, [])
    finally:
        await db.dispose()
    assert finding.level is Level.BLOCKS
    assert "migration(s) pending (0007, 0008" in finding.text  # and any newer
    assert finding.text.endswith("): run frontdesk migrate")


async def test_a_database_never_migrated_blocks(tmp_path: Path) -> None:
    db = await _at(tmp_path, None)
    try:
        [finding] = await database_findings(db, [])
    finally:
        await db.dispose()
    assert (finding.level, finding.text) == (Level.BLOCKS, "not migrated: run frontdesk migrate")


async def test_a_revision_from_a_newer_version_blocks(tmp_path: Path) -> None:
    db = await _at(tmp_path, "head")
    try:
        async with db.read() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = '0999'"))
            await session.commit()
        [finding] = await database_findings(db, [])
    finally:
        await db.dispose()
    assert finding.level is Level.BLOCKS
    assert "0999, which this version does not know" in finding.text


async def test_an_unreachable_database_blocks_without_its_url() -> None:
    db = Database.from_url("postgresql+asyncpg://u:pw-hunter2@127.0.0.1:1/clinic", pool_size=1)
    try:
        [finding] = await database_findings(db, [])
    finally:
        await db.dispose()
    assert finding.level is Level.BLOCKS
    assert finding.text.startswith("unreachable (")
    assert "hunter2" not in finding.text


async def test_an_empty_clinic_warns(db: Database) -> None:
    found = by_subject(await database_findings(db, []))
    assert found["database"].level is Level.OK
    assert found["clinic"].level is Level.WARNS


async def test_a_configured_partner_with_unmapped_doctors_warns(
    db: Database, clock: FrozenClock
) -> None:
    await small_clinic(db, clock, days=1)

    found = by_subject(await database_findings(db, [Channel.ONDOC]))

    assert found["clinic"].level is Level.OK
    assert found["ondoc"].level is Level.WARNS
    assert "not mapped to its ids" in found["ondoc"].text
    assert Channel.LUXMED.value not in found  # not configured: not asked
