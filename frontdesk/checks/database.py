"""The database as the deployment finds it: reachable, migrated to the newest schema,
a clinic in it, and every configured partner told of each active doctor and service."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.clinic.catalog import Catalog
from core.clock import SystemClock
from core.db.database import Database
from core.partners.desk import PartnerDesk
from core.vocab import Channel
from frontdesk.checks.report import Finding, Level, blocks, ok, warns
from migrations.apply import UnknownRevision, pending


async def database_findings(db: Database, partners: Iterable[Channel]) -> list[Finding]:
    try:
        current = await _revision(db)
    except (SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc  # the class only: the text may quote SQL
        cause = cause.__cause__ or cause  # the driver's own error under SQLAlchemy's adapter
        return [blocks("database", f"unreachable ({type(cause).__name__}): is DATABASE_URL right?")]
    schema = _schema(current)
    if schema.level is not Level.OK:
        return [schema]
    found = [schema]
    branches = await Catalog(db).branches()
    found.append(
        ok("clinic", f"{len(branches)} branch(es)")
        if branches
        else warns("clinic", "no branch yet: patients can book nothing")
    )
    desk = PartnerDesk(db, SystemClock())
    for partner in partners:
        unmapped = await desk.unmapped(partner.value)
        found.append(
            warns(
                partner.value,
                f"{len(unmapped)} active doctor(s) or service(s) not mapped to its ids: "
                "their slots are not published there (see /staff/partners/" + partner.value + ")",
            )
            if unmapped
            else ok(partner.value, "every active doctor and service is mapped")
        )
    return found


def _schema(current: str | None) -> Finding:
    try:
        missing = pending(current)
    except UnknownRevision:
        return blocks(
            "database",
            f"at revision {current}, which this version does not know: a newer version "
            "migrated it; run that version",
        )
    if current is None:
        return blocks("database", "not migrated: run frontdesk migrate")
    if missing:
        return blocks(
            "database",
            f"{len(missing)} migration(s) pending ({', '.join(missing)}): run frontdesk migrate",
        )
    return ok("database", f"reachable, schema at {current} (the newest)")


async def _revision(db: Database) -> str | None:
    """The applied revision, None when the database was never migrated."""
    async with db.read() as session:
        tables = await session.run_sync(
            lambda sync: sync.connection().dialect.has_table(sync.connection(), "alembic_version")
        )
        if not tables:
            return None
        row = await session.execute(text("SELECT version_num FROM alembic_version"))
        return row.scalar_one_or_none()
