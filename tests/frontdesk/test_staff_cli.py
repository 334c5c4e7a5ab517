"""`frontdesk create-staff`: the first admin from the command line; the password comes
from FRONTDESK_STAFF_PASSWORD or a prompt and never reaches the output or the log."""

from __future__ import annotations

import asyncio
import getpass

import pytest

from core.clock import SystemClock
from core.db.database import Database
from core.desk.accounts import StaffAccounts
from frontdesk.cli import PASSWORD_VAR, main
from frontdesk.settings import Settings

PASSWORD = "the first admin's passphrase"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> pytest.MonkeyPatch:
    for name in [*(n.upper() for n in Settings.model_fields), PASSWORD_VAR]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return monkeypatch


async def _login(url: str, login: str, password: str) -> tuple[str, str]:
    db = Database.from_url(url)
    try:
        member = await StaffAccounts(db, SystemClock()).authenticate(login, password)
    finally:
        await db.dispose()
    return member.display_name, member.role


def test_create_the_first_admin_from_the_environment(
    env: pytest.MonkeyPatch,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.setenv(PASSWORD_VAR, PASSWORD)
    assert main(["create-staff", "Boss", "--name", "Barbara Szef"]) == 0
    assert asyncio.run(_login(database_url, "boss", PASSWORD)) == ("Barbara Szef", "admin")
    assert main(["create-staff", "boss", "--name", "Again"]) == 1  # the login is taken
    assert "login is taken" in caplog.text
    out = capsys.readouterr()
    assert PASSWORD not in caplog.text + out.out + out.err


def test_a_prompted_password_must_be_typed_twice_alike(
    env: pytest.MonkeyPatch, database_url: str
) -> None:
    answers = iter([PASSWORD, PASSWORD + "?"])
    env.setattr(getpass, "getpass", lambda _prompt: next(answers))
    assert main(["create-staff", "reg", "--name", "R", "--role", "registrar"]) == 1
    answers = iter([PASSWORD, PASSWORD])
    assert main(["create-staff", "doc", "--name", "D", "--role", "doctor"]) == 1  # no doctor


def test_a_short_password_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv(PASSWORD_VAR, "short")
    assert main(["create-staff", "boss", "--name", "Barbara Szef"]) == 1
