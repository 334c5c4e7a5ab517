"""The `frontdesk` command: serve, worker, migrate, seed-demo, demo and create-staff.

Settings are read and validated once, before anything else; a bad variable
ends the command with its name on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from core.clinic.catalog import Catalog
from core.clock import SystemClock
from core.db.database import Database
from core.desk.accounts import NewStaff, StaffAccounts
from core.errors import DomainError
from core.vocab import StaffRole
from frontdesk.access_log import PathOnlyAccessLogger
from frontdesk.app import create_app
from frontdesk.checks.report import blocking, render
from frontdesk.checks.run import run_checks
from frontdesk.delivery import open_senders
from frontdesk.demo.seed import seed_demo
from frontdesk.logs import configure_logging
from frontdesk.partners import open_partners
from frontdesk.services import build_services
from frontdesk.settings import ConfigError, Settings, load_settings
from frontdesk.worker import Worker, default_jobs
from migrations.apply import upgrade

log = logging.getLogger("frontdesk")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

# Read by `create-staff` instead of a prompt (scripts, containers); never logged.
PASSWORD_VAR = "FRONTDESK_STAFF_PASSWORD"  # noqa: S105  (a variable name)

Command = Callable[[Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk", description="A clinic's front desk that never sleeps."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func, help_text in (
        ("serve", cmd_serve, "run the web app (and the background jobs if configured)"),
        ("demo", cmd_demo, "migrate, seed the demo clinic if empty, and serve it"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
        sub.add_argument("--port", type=int, help="port to listen on (default: PORT or 8080)")
        sub.set_defaults(func=func, demo=True if func is cmd_demo else None)
    for name, func, help_text in (
        ("worker", cmd_worker, "run the background jobs loop"),
        ("migrate", cmd_migrate, "bring the database schema to the newest version"),
        ("seed-demo", cmd_seed_demo, "create the demo clinic unless a clinic exists"),
        ("check", cmd_check, "say what this deployment lacks or gets wrong (exit 1 if blocked)"),
    ):
        commands.add_parser(name, help=help_text).set_defaults(func=func)
    staff = commands.add_parser(
        "create-staff",
        help=f"create a staff account (password from {PASSWORD_VAR} or a prompt)",
    )
    staff.add_argument("login")
    staff.add_argument("--name", required=True, help="the name shown in the change history")
    staff.add_argument(
        "--role", choices=[r.value for r in StaffRole], default=StaffRole.ADMIN.value
    )
    staff.add_argument("--doctor-id", type=int, help="the doctor a doctor's account belongs to")
    staff.add_argument(
        "--branch", type=int, action="append", default=[], help="a registrar's branch id"
    )
    staff.set_defaults(func=cmd_create_staff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {
        key: value
        for key in ("host", "port", "demo")
        if (value := getattr(args, key, None)) is not None
    }
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    refused = settings.start_refused() if args.func in STARTS else None
    if refused is not None:
        print(f"frontdesk: refusing to start: {refused}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format)
    command: Command = args.func
    if command is cmd_create_staff:
        command = _staff_command(args)
    try:
        if command is not cmd_check:  # a check creates nothing
            prepare_storage(settings)
        return command(settings)
    except SQLAlchemyError as exc:
        # The message may quote SQL or server text; its class says enough.
        cause = getattr(exc, "orig", None) or exc
        log.error(
            "database error (%s): is DATABASE_URL (%s) right and the schema migrated?",
            type(cause).__name__,
            settings.safe_database_url,
        )
        return EXIT_FAILED
    except OSError as exc:
        log.error("%s: %s", type(exc).__name__, exc.strerror or exc)
        return EXIT_FAILED


def prepare_storage(settings: Settings) -> None:
    """Create the folder of a SQLite database file (./var/ by default)."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


# -- commands -----------------------------------------------------------------


def cmd_migrate(settings: Settings) -> int:
    log.info("migrating %s", settings.safe_database_url)
    upgrade(settings.database_url)
    log.info("schema is up to date")
    return EXIT_OK


def cmd_seed_demo(settings: Settings) -> int:
    if settings.is_production and not settings.demo:
        log.error("PUBLIC_BASE_URL is https (production): no made-up clinic without DEMO=true")
        return EXIT_FAILED
    created = asyncio.run(_seed(settings))
    log.info("demo clinic created" if created else "a clinic exists already: nothing seeded")
    return EXIT_OK


def cmd_check(settings: Settings) -> int:
    findings = asyncio.run(run_checks(settings))
    print(render(findings), end="", flush=True)
    return EXIT_FAILED if blocking(findings) else EXIT_OK


def cmd_create_staff(settings: Settings) -> int:
    raise AssertionError("bound to its arguments by _staff_command")


def _staff_command(args: argparse.Namespace) -> Command:
    def run(settings: Settings) -> int:
        password = os.environ.get(PASSWORD_VAR) or _prompt_password()
        if password is None:
            log.error("the passwords did not match")
            return EXIT_FAILED
        new = NewStaff(
            login=args.login,
            display_name=args.name,
            role=StaffRole(args.role),
            password=password,
            doctor_id=args.doctor_id,
            branch_ids=tuple(args.branch),
        )
        try:
            staff_id = asyncio.run(_create_staff(settings, new))
        except DomainError as exc:
            log.error("cannot create the account: %s", exc.message)
            return EXIT_FAILED
        log.info("staff account %s (id %s, %s) created", new.login, staff_id, new.role)
        return EXIT_OK

    return run


def _prompt_password() -> str | None:
    first = getpass.getpass("password: ")
    return first if getpass.getpass("again: ") == first else None


def cmd_serve(settings: Settings) -> int:
    app = create_app(settings, with_worker=settings.run_worker_in_process)
    _run(lambda stop: _serve(app, settings, stop))
    return EXIT_OK


def cmd_worker(settings: Settings) -> int:
    _run(lambda stop: _worker(settings, stop))
    return EXIT_OK


def cmd_demo(settings: Settings) -> int:
    cmd_migrate(settings)
    asyncio.run(_seed(settings))
    example = asyncio.run(_example_service(settings))
    app = create_app(settings, with_worker=settings.run_worker_in_process)

    async def announce() -> None:
        base = f"http://{_display_host(settings.host)}:{settings.port}"
        print("frontdesk demo is running; open:", flush=True)
        print(f"  {base}/", flush=True)
        print(f"  {base}/healthz", flush=True)
        print(f"  {base}/demo/chat   (book, move, cancel as a patient would)", flush=True)
        print(f"  {base}/demo/phone  (the same by phone: the voice menu)", flush=True)
        print(f"  {base}/api/v1/slots?service={example}&limit=5", flush=True)
        print("Press Ctrl+C to stop.", flush=True)

    _run(lambda stop: _serve(app, settings, stop, on_ready=announce))
    return EXIT_OK


# The commands that serve or send: they refuse a production configuration that lacks a
# secret (`Settings.start_refused`).
STARTS: tuple[Command, ...] = (cmd_serve, cmd_worker, cmd_demo)


# -- the async parts -------------------------------------------------------------


async def _seed(settings: Settings) -> bool:
    db = Database.from_url(settings.database_url)
    try:
        return await seed_demo(db, SystemClock())
    finally:
        await db.dispose()


async def _create_staff(settings: Settings, new: NewStaff) -> int:
    db = Database.from_url(settings.database_url)
    try:
        member = await StaffAccounts(db, SystemClock()).create(new)
    finally:
        await db.dispose()
    assert member.id is not None
    return member.id


async def _example_service(settings: Settings) -> str:
    db = Database.from_url(settings.database_url)
    try:
        services = await Catalog(db).services()
    finally:
        await db.dispose()
    return services[0].code if services else "CODE"


async def _serve(
    app: web.Application,
    settings: Settings,
    stop: asyncio.Event,
    *,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve until `stop` is set; the app's cleanup (worker, engine) runs on the way out."""
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    settle_heap()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        log.info("listening on http://%s:%s", settings.host, settings.port)
        if on_ready is not None:
            await on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()


async def _worker(settings: Settings, stop: asyncio.Event) -> None:
    db = Database.from_url(settings.database_url)
    try:
        async with open_partners(settings) as partners:
            services = build_services(db, SystemClock(), settings, partners=partners.sync)
            async with open_senders(settings, services) as senders:
                jobs = default_jobs(services, settings, senders, partners.sync)
                settle_heap()
                await Worker(jobs, interval=settings.worker_interval_seconds).run(stop)
    finally:
        await db.dispose()


def settle_heap() -> None:
    """Set what start-up built (aiogram's and pydantic's models, the app, the pools) out
    of the collector's way for the process's life: a full collection walked its 300,000
    objects in about 200 ms on the 2-core VM, with every request waiting behind it."""
    gc.collect()
    gc.freeze()


def _run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` until it returns; SIGINT and SIGTERM set `stop` to end it cleanly."""
    asyncio.run(_with_stop_signals(main))


async def _with_stop_signals(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def stopping() -> None:
        if not stop.is_set():
            log.info("stopping")
        stop.set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stopping)
    try:
        await main(stop)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def _display_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104  (shown, not bound)
        return "localhost"
    return f"[{host}]" if ":" in host else host
