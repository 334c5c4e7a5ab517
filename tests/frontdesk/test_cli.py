"""The `frontdesk` command: settings checked at start, migrate, seed-demo, and the demo
and worker processes started for real and stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from core.db.database import Database
from core.models import Booking, Clinic, Patient, Slot
from frontdesk.cli import _serve, main
from frontdesk.settings import DEFAULT_DATABASE_URL, ConfigError, Settings, load_settings

SETTINGS_VARS = [name.upper() for name in Settings.model_fields]
STARTUP_SECONDS = 90


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No frontdesk variable from the developer's shell leaks into a test."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- settings ---------------------------------------------------------------------------


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8080, "INFO")
    assert (settings.hold_minutes, settings.waitlist_offer_minutes) == (5, 30)
    assert (settings.waitlist_fan_out, settings.slot_horizon_days) == (3, 56)
    assert settings.worker_interval_seconds == 30
    assert settings.run_worker_in_process is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:pw@db:5432/clinic", "postgresql+asyncpg://u:pw@db:5432/clinic"),
        ("postgres://u:pw@db/clinic", "postgresql+asyncpg://u:pw@db/clinic"),
        ("postgresql+asyncpg://u@db/clinic", "postgresql+asyncpg://u@db/clinic"),
        ("sqlite:///./var/x.db", "sqlite+aiosqlite:///./var/x.db"),
        ("sqlite:////srv/frontdesk.db", "sqlite+aiosqlite:////srv/frontdesk.db"),
    ],
)
def test_database_urls_get_the_async_drivers(
    clean_env: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    clean_env.setenv("DATABASE_URL", given)
    assert load_settings().database_url == expected


def test_settings_repr_hides_the_database_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://u:hunter2@db/clinic")
    settings = load_settings()
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.safe_database_url


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("HOLD_MINUTES", "0"),
        ("WAITLIST_FAN_OUT", "many"),
        ("SLOT_HORIZON_DAYS", "-3"),
        ("WORKER_INTERVAL_SECONDS", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("RUN_WORKER_IN_PROCESS", "perhaps"),
        ("DATABASE_URL", "mysql://root:hunter2@db/clinic"),
        ("DATABASE_URL", "not a url at all hunter2"),
    ],
)
def test_a_bad_variable_is_named_and_exits_2(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    clean_env.setenv(name, value)

    assert main(["serve"]) == 2

    err = capsys.readouterr().err
    assert f"{name}: " in err
    assert "Traceback" not in err
    assert "hunter2" not in err


def test_config_error_lists_every_bad_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PORT", "abc")
    clean_env.setenv("HOLD_MINUTES", "x")
    with pytest.raises(ConfigError, match=r"PORT: Input should be a valid integer") as caught:
        load_settings()
    assert "HOLD_MINUTES: " in str(caught.value)


def test_flags_override_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PORT", "9000")
    assert load_settings(port=9100, host="0.0.0.0").port == 9100  # noqa: S104


def test_a_bad_flag_is_an_argparse_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--port", "abc"])
    assert caught.value.code == 2


# -- production starts ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "worker", "demo"])
def test_a_production_start_without_a_secret_key_is_refused(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/var/frontdesk.db")
    clean_env.setenv("PUBLIC_BASE_URL", "https://clinic.example")

    assert main([command]) == 2

    assert "SECRET_KEY: must be set when PUBLIC_BASE_URL is https" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()  # refused before touching anything


def test_a_plain_http_address_is_no_production(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8080")
    assert load_settings().start_refused() is None
    clean_env.setenv("PUBLIC_BASE_URL", "https://clinic.example")
    clean_env.setenv("SECRET_KEY", "k" * 32)
    assert load_settings().start_refused() is None


def test_without_a_secret_key_one_random_key_serves_the_whole_process(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings()
    first, second = settings.secret_bytes(), settings.secret_bytes()

    assert first == second
    assert len(first) == 32
    assert load_settings().secret_bytes() != first  # another process, another key
    assert caplog.text.count("SECRET_KEY is not set") == 2  # once per process


def test_only_the_demo_command_turns_the_demo_on(clean_env: pytest.MonkeyPatch) -> None:
    assert load_settings().demo is False
    clean_env.setenv("DEMO", "true")
    assert load_settings().demo is True


# -- migrate and seed-demo ---------------------------------------------------------------


async def _counts(url: str) -> dict[str, int]:
    db = Database.from_url(url)
    try:
        async with db.read() as session:
            return {
                model.__name__: (
                    await session.execute(select(func.count()).select_from(model))
                ).scalar_one()
                for model in (Clinic, Slot, Patient, Booking)
            }
    finally:
        await db.dispose()


def test_migrate_creates_the_sqlite_folder_and_is_repeatable(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "var" / "frontdesk.db"
    clean_env.setenv("DATABASE_URL", f"sqlite:///{path}")

    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0

    assert path.exists()
    assert asyncio.run(_counts(f"sqlite+aiosqlite:///{path}"))["Clinic"] == 0


def test_seed_demo_seeds_once(clean_env: pytest.MonkeyPatch, database_url: str) -> None:
    clean_env.setenv("DATABASE_URL", database_url)

    assert main(["seed-demo"]) == 0
    seeded = asyncio.run(_counts(database_url))
    assert main(["seed-demo"]) == 0

    assert seeded["Clinic"] == 1
    assert seeded["Slot"] > 0
    assert seeded["Booking"] > 0
    assert asyncio.run(_counts(database_url)) == seeded


def test_seed_demo_refuses_a_production_database_unless_asked(
    clean_env: pytest.MonkeyPatch, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("DATABASE_URL", database_url)
    clean_env.setenv("PUBLIC_BASE_URL", "https://clinic.example")

    assert main(["seed-demo"]) == 1
    assert asyncio.run(_counts(database_url))["Clinic"] == 0
    assert "DEMO=true" in caplog.text

    clean_env.setenv("DEMO", "true")
    assert main(["seed-demo"]) == 0
    assert asyncio.run(_counts(database_url))["Clinic"] == 1


def test_seed_demo_on_an_unmigrated_database_fails_cleanly(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")

    assert main(["seed-demo"]) == 1

    assert "migrated" in caplog.text


# -- check ---------------------------------------------------------------------------------


def test_check_prints_plain_words_and_exits_1_when_something_blocks(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/frontdesk.db")
    assert main(["migrate"]) == 0
    capsys.readouterr()

    assert main(["check"]) == 0
    laptop = capsys.readouterr().out

    clean_env.setenv("PUBLIC_BASE_URL", "https://clinic.example")
    clean_env.setenv("DEMO", "true")
    assert main(["check"]) == 1
    production = capsys.readouterr().out

    assert "ok       database: reachable, schema at " in laptop
    assert "warning  clinic: no branch yet" in laptop
    assert laptop.endswith("Nothing blocks this deployment; 5 warning(s).\n")
    assert production.startswith("BLOCKS   SECRET_KEY: not set, and PUBLIC_BASE_URL is https")
    assert "BLOCKS   DEMO: on in production" in production
    assert "2 problem(s) block this deployment" in production


def test_check_creates_no_database(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/var/frontdesk.db")

    assert main(["check"]) == 1

    assert "no file at " in capsys.readouterr().out
    assert not (tmp_path / "var").exists()


# -- real processes ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(values)
    return env


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (our own server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def _wait_until(condition: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{log.read_text()}")
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not ready within {STARTUP_SECONDS}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


async def test_serving_sets_what_start_up_built_out_of_the_collectors_way(
    clean_env: pytest.MonkeyPatch,
) -> None:
    gc.unfreeze()
    settings = Settings(host="127.0.0.1", port=_free_port())
    stop = asyncio.Event()
    frozen: list[int] = []

    async def ready() -> None:
        frozen.append(gc.get_freeze_count())
        stop.set()

    try:
        await _serve(web.Application(), settings, stop, on_ready=ready)
    finally:
        gc.unfreeze()
    (count,) = frozen
    assert count > 10_000  # the interpreter's and the app's objects


@pytest.mark.slow
def test_demo_migrates_seeds_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return _get(f"{base}/healthz")[0] == 200
        except OSError:
            return False

    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk", "demo"],
            cwd=tmp_path,  # the default database goes to ./var/frontdesk.db
            env=_env(PORT=str(port), HOST="127.0.0.1", WORKER_INTERVAL_SECONDS="0.5"),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            _wait_until(healthy, proc, err)
            status, page = _get(f"{base}/")
            slots_status, _ = _get(f"{base}/api/v1/slots?service=INT-CONS&limit=2")
            demo_statuses = [_get(f"{base}/demo/{page}")[0] for page in ("chat", "phone")]
        finally:
            code = _stop(proc)

    assert code == 0, err.read_text()
    assert status == 200
    assert demo_statuses == [200, 200]
    assert err.read_text().count("SECRET_KEY is not set") == 1
    assert "Warszawa Mokotów" in page.decode()
    assert slots_status == 200
    printed = out.read_text()
    assert f"{base}/\n" in printed
    assert f"{base}/healthz" in printed
    assert f"{base}/api/v1/slots?service=" in printed
    assert (tmp_path / "var" / "frontdesk.db").exists()


@pytest.mark.slow
def test_worker_runs_passes_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/var/frontdesk.db"
    err = tmp_path / "stderr.txt"
    migrated = subprocess.run(
        [sys.executable, "-m", "frontdesk", "migrate"],
        env=_env(DATABASE_URL=url),
        capture_output=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr.decode()

    with err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk", "worker"],
            env=_env(DATABASE_URL=url, WORKER_INTERVAL_SECONDS="0.1"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_until(lambda: "slots regenerated" in err.read_text(), proc, err)
        finally:
            code = _stop(proc)

    assert code == 0, err.read_text()
    assert "worker stopped" in err.read_text()
    assert "Traceback" not in err.read_text()
