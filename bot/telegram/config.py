"""What the composition root tells the Telegram face: the bot's token, the webhook's
secret, the public address Telegram posts to, and another Bot API server if any.

The face never reads the settings; the root builds this once from them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TelegramConfig:
    token: str | None = None  # Telegram is off without one
    webhook_secret: str | None = None  # sent back in X-Telegram-Bot-Api-Secret-Token
    public_base_url: str | None = None  # a webhook when set, long polling when not
    api_server: str | None = None  # a local Bot API server, or the tests' fake
