"""Configuration from environment variables, validated once at start.

A bad value stops the process with a message naming the variable
(`PORT: Input should be a valid integer`), never a traceback, and never the
value itself: a DATABASE_URL may carry a password.
"""

from __future__ import annotations

import logging
import secrets
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from core.errors import PhoneInvalid
from core.patients.identity import normalize_phone
from edge.forwarded import networks

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/frontdesk.db"

IVR_LANGUAGES = ("pl", "uk", "ru", "en")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Schemes people paste, mapped to the async drivers the engine runs on.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


class ConfigError(Exception):
    """The configuration cannot be used; the message names every bad variable."""


def normalize_database_url(value: str) -> str:
    """The URL with an async driver (`postgresql://` → `postgresql+asyncpg://`).

    Errors never repeat the URL: it may hold a password.
    """
    try:
        url = make_url(value.strip())
    except ArgumentError as exc:
        raise ValueError("not a database URL (expected postgresql://... or sqlite:///...)") from exc
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {url.drivername!r} (use postgresql://... or sqlite:///...)"
        )
    if driver.startswith("sqlite") and not url.database:
        raise ValueError("a SQLite URL needs a file path (sqlite:///./var/frontdesk.db)")
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Everything the processes read from their environment; see README for the table."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", validate_default=True)

    database_url: str = Field(default=DEFAULT_DATABASE_URL, repr=False)
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    hold_minutes: int = Field(default=5, ge=1, le=120)
    waitlist_offer_minutes: int = Field(default=30, ge=1, le=24 * 60)
    waitlist_fan_out: int = Field(default=3, ge=1, le=50)
    waitlist_batch_minutes: int = Field(default=15, ge=1, le=24 * 60)
    waitlist_cutoff_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    slot_horizon_days: int = Field(default=56, ge=1, le=366)
    booking_link_days: int = Field(default=7, ge=1, le=60)  # how long a booking link works
    worker_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    run_worker_in_process: bool = True
    demo: bool = False  # /demo/chat and /demo/phone mounted; `frontdesk demo` sets it
    # Messengers and secrets: all optional, so the demo runs with no credentials.
    public_base_url: str | None = None  # e.g. https://clinic.example; webhooks when set
    trusted_proxies: str = ""  # comma-separated networks whose X-Forwarded-For is believed
    secret_key: str | None = Field(default=None, min_length=32, repr=False)
    telegram_bot_token: str | None = Field(default=None, repr=False)
    telegram_webhook_secret: str | None = Field(
        default=None, min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$", repr=False
    )
    telegram_api_server: str | None = None  # another Bot API server (a local one, a fake)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = Field(default=None, repr=False)
    twilio_whatsapp_from: str | None = None  # "whatsapp:+48..."
    twilio_api_base: str = "https://api.twilio.com"
    twilio_whatsapp_content_sid: str | None = None  # approved template outside the 24-hour window
    twilio_sms_from: str | None = None  # "+48..." to send SMS reminders from
    twilio_sms_per_second: float = Field(default=10.0, gt=0, le=1000)  # the sender's limit
    # Notifications.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    telegram_messages_per_second: float = Field(default=30.0, gt=0, le=1000)
    notification_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Send limits shared by every process (redis://, rediss://); per process without it.
    redis_url: str | None = Field(default=None, repr=False)
    # The phone menu (Twilio Voice).
    ivr_languages: dict[str, str] = Field(default_factory=dict)  # dialled number -> language
    ivr_callback_offer_seconds: int = Field(default=60, ge=0, le=3600)
    # Partner platforms: all optional; a partner without credentials is not synced.
    docplanner_base_url: str = "https://www.znanylekarz.pl"
    docplanner_client_id: str | None = None
    docplanner_client_secret: str | None = Field(default=None, repr=False)
    docplanner_push_api_key: str | None = Field(default=None, min_length=16, repr=False)
    docplanner_push_sources: str = ""  # comma-separated networks allowed to push
    docplanner_writes_per_minute: float = Field(default=40.0, gt=0, le=10_000)
    luxmed_connector_url: str | None = None
    luxmed_password: str | None = Field(default=None, repr=False)
    luxmed_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    ondoc_base_url: str | None = None
    ondoc_company_token: str | None = Field(default=None, repr=False)
    ondoc_branch_token: str | None = Field(default=None, repr=False)
    ondoc_timezone: str = "Europe/Warsaw"
    cer_base_url: str | None = None
    cer_token: str | None = Field(default=None, repr=False)
    cer_horizon_days: int = Field(default=90, ge=1, le=180)
    partner_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    partner_reconcile_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    # Patients' documents: the folder their files are kept in, and the largest PDF taken.
    documents_dir: Path = Path("var/documents")
    document_max_mb: int = Field(default=10, ge=1, le=100)
    # The SMART Scheduling Links feed for aggregators.
    smart_feed_days: int = Field(default=28, ge=1, le=90)
    # The full information notice (GDPR) the chat links to before its first personal question.
    privacy_notice_url: str | None = None
    telegram_bot_username: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{5,32}$")
    # GET /metrics: off until a token or the networks allowed to scrape are set.
    metrics_token: str | None = Field(default=None, min_length=16, repr=False)
    metrics_sources: str = ""  # comma-separated networks Prometheus scrapes from
    # Without SECRET_KEY: one random key for this process, made (and warned of) once.
    _process_key: bytes | None = PrivateAttr(default=None)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("ondoc_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone (e.g. Europe/Warsaw)") from None
        return value

    @field_validator("docplanner_push_sources", "trusted_proxies", "metrics_sources", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        """A comma-separated list of networks ("203.0.113.0/24, 198.51.100.7")."""
        try:
            return ", ".join(str(network) for network in networks(str(value)))
        except ValueError:
            raise ValueError("a comma-separated list of IP networks") from None

    @field_validator(
        "public_base_url",
        "privacy_notice_url",
        "telegram_api_server",
        "docplanner_base_url",
        "luxmed_connector_url",
        "ondoc_base_url",
        "cer_base_url",
    )
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("ivr_languages")
    @classmethod
    def _numbers_and_languages(cls, value: dict[str, str]) -> dict[str, str]:
        checked = {}
        for number, language in value.items():
            if language not in IVR_LANGUAGES:
                raise ValueError(f"languages are {', '.join(IVR_LANGUAGES)}")
            try:
                checked[normalize_phone(number)] = language
            except PhoneInvalid:
                raise ValueError("keys must be phone numbers, +48...") from None
        return checked

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def is_production(self) -> bool:
        """Served to the world: PUBLIC_BASE_URL is an https address."""
        return bool(self.public_base_url and self.public_base_url.startswith("https://"))

    def start_refused(self) -> str | None:
        """Why `serve`, `worker` or `demo` must not start on this configuration, if so."""
        if self.is_production and not self.secret_key:
            return (
                "SECRET_KEY: must be set when PUBLIC_BASE_URL is https (production); "
                "without it linking codes break and staff are logged out at every restart"
            )
        return None

    def link_base_url(self) -> str:
        """Where booking links point: the public URL, or this machine for the demo."""
        return self.public_base_url or "http://127.0.0.1:8080"

    def secret_bytes(self) -> bytes:
        """SECRET_KEY, or for a single demo process a random key that lives in memory only,
        the same for every service of the process (linking codes then stop working at
        restart: set SECRET_KEY in production)."""
        if self.secret_key:
            return self.secret_key.encode()
        if self._process_key is None:
            log.warning("SECRET_KEY is not set: using a random key for this process only")
            self._process_key = secrets.token_bytes(32)
        return self._process_key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def safe_database_url(self) -> str:
        """The URL with its password masked, for logs."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (None for PostgreSQL and in-memory)."""
        if not self.is_sqlite:
            return None
        url: URL = make_url(self.database_url)
        if not url.database or url.database == ":memory:":
            return None
        return Path(url.database)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and explicit overrides, e.g. CLI flags), or `ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']).upper() or 'SETTINGS'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
