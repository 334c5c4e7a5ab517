"""The configuration alone (no network, no database): secrets, the public address, the
channels half configured, what a production deployment must not run with."""

from __future__ import annotations

from frontdesk.checks.report import Finding, blocks, ok, warns
from frontdesk.settings import Settings


def settings_findings(settings: Settings) -> list[Finding]:
    return [
        *_secret(settings),
        *_public_address(settings),
        *_demo(settings),
        *_database(settings),
        *_telegram(settings),
        *_twilio(settings),
        *_operations(settings),
    ]


def _secret(settings: Settings) -> list[Finding]:
    refused = settings.start_refused()
    if refused is not None:
        return [blocks("SECRET_KEY", "not set, and PUBLIC_BASE_URL is https: serve refuses")]
    if not settings.secret_key:
        return [
            warns(
                "SECRET_KEY",
                "not set: each process makes its own key, so linking codes and staff "
                "sessions do not survive a restart nor cross processes",
            )
        ]
    return [ok("SECRET_KEY", "set")]


def _public_address(settings: Settings) -> list[Finding]:
    url = settings.public_base_url
    if url is None:
        return [
            warns(
                "PUBLIC_BASE_URL",
                "not set: Telegram is read by long polling and the Twilio webhooks "
                "answer 404 (right on a laptop, not in a deployment)",
            )
        ]
    if not settings.is_production:
        return [
            warns(
                "PUBLIC_BASE_URL",
                "is not https: Telegram refuses such a webhook, session cookies are "
                "not marked Secure",
            )
        ]
    found = [ok("PUBLIC_BASE_URL", url)]
    if not settings.trusted_proxies:
        found.append(
            warns(
                "TRUSTED_PROXIES",
                "not set: behind a reverse proxy every client has the proxy's address, "
                "so the login limit counts them all as one",
            )
        )
    return found


def _demo(settings: Settings) -> list[Finding]:
    if not settings.demo:
        return []
    if settings.is_production:
        return [blocks("DEMO", "on in production: anyone may play any patient at /demo/chat")]
    return [warns("DEMO", "on: /demo/chat and /demo/phone are served")]


def _database(settings: Settings) -> list[Finding]:
    if settings.is_sqlite and settings.is_production:
        return [
            warns(
                "DATABASE_URL",
                "SQLite in production: one process only; use PostgreSQL for several "
                "serve and worker processes",
            )
        ]
    return []


def _telegram(settings: Settings) -> list[Finding]:
    if not settings.telegram_bot_token:
        return [warns("Telegram", "off: TELEGRAM_BOT_TOKEN is not set")]
    if settings.public_base_url and not settings.telegram_webhook_secret:
        return [
            blocks(
                "TELEGRAM_WEBHOOK_SECRET",
                "not set: the webhook refuses every update (401) without it",
            )
        ]
    return []


def _twilio(settings: Settings) -> list[Finding]:
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    senders = [
        name
        for name, value in (
            ("TWILIO_WHATSAPP_FROM", settings.twilio_whatsapp_from),
            ("TWILIO_SMS_FROM", settings.twilio_sms_from),
        )
        if value
    ]
    if bool(sid) != bool(token):
        missing = "TWILIO_AUTH_TOKEN" if sid else "TWILIO_ACCOUNT_SID"
        return [blocks("Twilio", f"{missing} is missing: WhatsApp, SMS and the phone are off")]
    if not sid:
        if senders:
            return [blocks("Twilio", f"{', '.join(senders)} set without Twilio's credentials")]
        return [warns("Twilio", "off: no WhatsApp, SMS or phone menu")]
    if not senders:
        return [warns("Twilio", "no TWILIO_WHATSAPP_FROM nor TWILIO_SMS_FROM: nothing is sent")]
    return []


def _operations(settings: Settings) -> list[Finding]:
    """What several processes in production want: shared limits, a watched /metrics."""
    if not settings.is_production:
        return []
    found = []
    if settings.telegram_bot_token and not settings.redis_url:
        found.append(
            warns(
                "REDIS_URL",
                "not set: each worker keeps Telegram's limits alone, so several together "
                "can exceed them (or set TELEGRAM_MESSAGES_PER_SECOND to each one's share)",
            )
        )
    if not (settings.metrics_token or settings.metrics_sources):
        found.append(warns("METRICS_TOKEN", "nor METRICS_SOURCES set: /metrics is off"))
    return found
