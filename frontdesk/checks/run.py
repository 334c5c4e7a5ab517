"""Every check in order: the configuration, the database, then the platforms (asked only
when the credentials allow), each finding in plain words."""

from __future__ import annotations

from core.clinic.catalog import Catalog
from core.db.database import Database
from core.errors import PhoneInvalid
from core.patients.identity import normalize_phone
from frontdesk.checks.config import settings_findings
from frontdesk.checks.database import database_findings
from frontdesk.checks.platforms import telegram_findings, twilio_findings
from frontdesk.checks.report import Finding, Level, blocks
from frontdesk.partners import open_partners
from frontdesk.settings import Settings


async def run_checks(settings: Settings) -> list[Finding]:
    found = settings_findings(settings)
    path = settings.sqlite_path()
    if path is not None and not path.exists():  # connecting would create it: a check writes nothing
        found.append(blocks("database", f"no file at {path}: run frontdesk migrate"))
        found += await telegram_findings(settings)
        return found + await twilio_findings(settings, set(settings.ivr_languages))
    db = Database.from_url(settings.database_url, pool_size=1)
    try:
        async with open_partners(settings) as partners:
            configured = list(partners.sync)
        stored = await database_findings(db, configured)
        found += stored
        usable = all(f.level is not Level.BLOCKS for f in stored)
        dialled = await _dialled(db, settings) if usable else set(settings.ivr_languages)
    finally:
        await db.dispose()
    found += await telegram_findings(settings)
    found += await twilio_findings(settings, dialled)
    return found


async def _dialled(db: Database, settings: Settings) -> set[str]:
    """The clinic's phone numbers: each branch's, and those IVR_LANGUAGES names."""
    numbers = set(settings.ivr_languages)
    for branch in await Catalog(db).branches():
        try:
            numbers.add(normalize_phone(branch.phone))
        except PhoneInvalid:
            continue
    return numbers
