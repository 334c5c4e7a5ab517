"""`frontdesk check` whole: the configuration, the database and both platforms' fakes,
the clinic's numbers taken from its branches."""

from __future__ import annotations

from core.clock import FrozenClock
from core.db.database import Database
from frontdesk.checks.report import Level, blocking
from frontdesk.checks.run import run_checks
from frontdesk.settings import Settings
from testkit.factories import small_clinic
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PUBLIC = "https://clinic.example"


async def test_a_ready_deployment_blocks_nothing(
    db: Database,
    database_url: str,
    clock: FrozenClock,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
) -> None:
    await small_clinic(db, clock, days=1)  # its branch answers +48 22 100 00 00
    telegram.webhook = {"url": f"{PUBLIC}/telegram/webhook"}
    twilio.number("+48221000000", f"{PUBLIC}/twilio/voice", f"{PUBLIC}/twilio/voice/status")
    settings = Settings(
        database_url=database_url,
        public_base_url=PUBLIC,
        secret_key="k" * 32,
        trusted_proxies="10.0.0.0/8",
        telegram_bot_token=telegram.token,
        telegram_api_server=telegram.base_url,
        telegram_webhook_secret="hook",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=twilio.base_url,
        twilio_sms_from="+48221234500",
    )

    findings = await run_checks(settings)

    assert not blocking(findings), findings
    levels = {f.subject: f.level for f in findings}
    assert levels["Telegram"] is Level.OK
    assert levels["+48221000000"] is Level.OK
    assert levels["clinic"] is Level.OK
