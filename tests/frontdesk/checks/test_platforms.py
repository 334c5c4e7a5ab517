"""`frontdesk check` asks the platforms through the app's own clients, here the loopback
fakes: the webhook Telegram posts to, where Twilio sends the calls of the clinic's numbers,
and credentials either refuses."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.checks.platforms import telegram_findings, twilio_findings
from frontdesk.checks.report import Finding, Level
from frontdesk.settings import Settings
from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PUBLIC = "https://clinic.example"
WEBHOOK = f"{PUBLIC}/telegram/webhook"
DESK, REGISTRATION = "+48221000000", "+48221000001"


def telegram_settings(fake: FakeTelegram, **changes: Any) -> Settings:
    values = {
        "telegram_bot_token": fake.token,
        "telegram_api_server": fake.base_url,
        "public_base_url": PUBLIC,
    }
    return Settings(**(values | changes))


def twilio_settings(fake: FakeTwilio, token: str = AUTH_TOKEN) -> Settings:
    return Settings(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=token,
        twilio_api_base=fake.base_url,
        public_base_url=PUBLIC,
    )


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(
    ("registered", "level", "words"),
    [
        (WEBHOOK, Level.OK, f"posts updates to {WEBHOOK}"),
        (None, Level.WARNS, "no webhook registered yet"),
        ("https://staging.example/telegram/webhook", Level.BLOCKS, "another deployment"),
    ],
    ids=["ours", "none", "elsewhere"],
)
async def test_the_webhook_telegram_posts_to(
    telegram: FakeTelegram, registered: str | None, level: Level, words: str
) -> None:
    telegram.webhook = {"url": registered} if registered else None

    finding = only(await telegram_findings(telegram_settings(telegram)))

    assert finding.level is level
    assert words in finding.text
    assert [c.method for c in telegram.calls] == ["getWebhookInfo"]  # asked, nothing changed


async def test_a_webhook_while_polling_warns(telegram: FakeTelegram) -> None:
    telegram.webhook = {"url": WEBHOOK}
    finding = only(await telegram_findings(telegram_settings(telegram, public_base_url=None)))
    assert finding.level is Level.WARNS
    assert "long polling here gets none" in finding.text


async def test_a_refused_bot_token_blocks(telegram: FakeTelegram) -> None:
    settings = telegram_settings(telegram, telegram_bot_token="42:not-the-token")
    finding = only(await telegram_findings(settings))
    assert finding.level is Level.BLOCKS
    assert "not-the-token" not in finding.text


async def test_an_unreachable_telegram_warns() -> None:
    settings = Settings(telegram_bot_token="42:token", telegram_api_server="http://127.0.0.1:1")
    finding = only(await telegram_findings(settings))
    assert finding.level is Level.WARNS
    assert "could not be asked" in finding.text


async def test_each_clinic_number_is_pointed_at_the_voice_webhook(twilio: FakeTwilio) -> None:
    twilio.number(DESK, f"{PUBLIC}/twilio/voice", f"{PUBLIC}/twilio/voice/status")
    twilio.number(REGISTRATION, "https://demo.twilio.com/welcome/voice/")
    twilio.number("+48221000009", "https://elsewhere.example")  # not ours: not judged

    found = await twilio_findings(twilio_settings(twilio), {DESK, REGISTRATION, "+48221000002"})

    assert [(f.subject, f.level) for f in found] == [
        (DESK, Level.OK),
        (REGISTRATION, Level.BLOCKS),
        ("+48221000002", Level.WARNS),
    ]
    assert "https://demo.twilio.com/welcome/voice/" in found[1].text
    assert "not a number of this Twilio account" in found[2].text


async def test_a_missing_status_callback_warns(twilio: FakeTwilio) -> None:
    twilio.number(DESK, f"{PUBLIC}/twilio/voice")
    finding = only(await twilio_findings(twilio_settings(twilio), {DESK}))
    assert finding.level is Level.WARNS
    assert "/twilio/voice/status" in finding.text


async def test_refused_twilio_credentials_block(twilio: FakeTwilio) -> None:
    finding = only(await twilio_findings(twilio_settings(twilio, token="0" * 32), {DESK}))
    assert finding.level is Level.BLOCKS
    assert "0" * 32 not in finding.text


async def test_twilio_is_not_asked_without_a_public_address(twilio: FakeTwilio) -> None:
    settings = twilio_settings(twilio).model_copy(update={"public_base_url": None})
    assert await twilio_findings(settings, {DESK}) == []
