"""`frontdesk check` on the configuration alone: what blocks a production deployment,
what only warns, and that no secret's value is ever printed."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.checks.config import settings_findings
from frontdesk.checks.report import Level, blocking, render
from frontdesk.settings import Settings

SECRET = "k" * 32
PRODUCTION: dict[str, Any] = {
    "public_base_url": "https://clinic.example",
    "secret_key": SECRET,
    "trusted_proxies": "10.0.0.0/8",
    "database_url": "postgresql://frontdesk:pw-hunter2@db/clinic",
    "telegram_bot_token": "123:tg-token-hunter2",
    "telegram_webhook_secret": "hook_secret",
    "twilio_account_sid": "AC" + "1" * 32,
    "twilio_auth_token": "twilio-hunter2",
    "twilio_sms_from": "+48221234500",
    "redis_url": "redis://:redis-hunter2@cache:6379/0",
    "metrics_token": "metrics-hunter2-token",
}


def levels(**changes: Any) -> dict[str, Level]:
    """The worst level found per subject."""
    found: dict[str, Level] = {}
    for f in settings_findings(Settings(**(PRODUCTION | changes))):
        found[f.subject] = min(found.get(f.subject, Level.OK), f.level)
    return found


def test_a_complete_production_configuration_blocks_nothing() -> None:
    findings = settings_findings(Settings(**PRODUCTION))
    assert not blocking(findings)
    assert all(f.level is Level.OK for f in findings)


@pytest.mark.parametrize(
    ("changes", "subject"),
    [
        ({"secret_key": None}, "SECRET_KEY"),
        ({"demo": True}, "DEMO"),
        ({"twilio_auth_token": None}, "Twilio"),
        ({"twilio_account_sid": None, "twilio_auth_token": None}, "Twilio"),
        ({"telegram_webhook_secret": None}, "TELEGRAM_WEBHOOK_SECRET"),
    ],
    ids=["no-secret", "demo", "half-twilio", "senders-without-twilio", "no-webhook-secret"],
)
def test_what_blocks_a_production_deployment(changes: dict[str, Any], subject: str) -> None:
    assert levels(**changes)[subject] is Level.BLOCKS


@pytest.mark.parametrize(
    ("changes", "subject"),
    [
        ({"trusted_proxies": ""}, "TRUSTED_PROXIES"),
        ({"database_url": "sqlite:///var/x.db"}, "DATABASE_URL"),
        ({"public_base_url": "http://clinic.example"}, "PUBLIC_BASE_URL"),
        ({"public_base_url": None, "secret_key": None}, "SECRET_KEY"),
        ({"telegram_bot_token": None}, "Telegram"),
        ({"redis_url": None}, "REDIS_URL"),
        ({"metrics_token": None}, "METRICS_TOKEN"),
    ],
    ids=[
        "no-proxies",
        "sqlite",
        "plain-http",
        "laptop-no-secret",
        "no-telegram",
        "no-redis",
        "no-metrics",
    ],
)
def test_what_only_warns(changes: dict[str, Any], subject: str) -> None:
    found = levels(**changes)
    assert found[subject] is Level.WARNS
    assert Level.BLOCKS not in found.values()


def test_the_report_names_no_secret() -> None:
    report = render(settings_findings(Settings(**(PRODUCTION | {"demo": True}))))
    assert "hunter2" not in report
    assert SECRET not in report
    assert report.splitlines()[0].startswith("BLOCKS   DEMO: ")
    assert report.endswith("1 problem(s) block this deployment, 0 warning(s).\n")
