"""Typed keys of the web app's state that the Telegram face adds."""

from __future__ import annotations

from aiogram import Bot
from aiohttp import web

from bot.telegram.config import TelegramConfig
from bot.telegram.polling import Poller
from bot.telegram.sends import ChatQueues

CONFIG = web.AppKey("telegram_config", TelegramConfig)
BOT = web.AppKey("telegram_bot", Bot)
POLLER = web.AppKey("telegram_poller", Poller)
SENDS = web.AppKey("telegram_sends", ChatQueues)  # the webhook's sends, after it answered
