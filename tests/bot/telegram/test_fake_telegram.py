"""The fake Bot API (testkit/fakes/telegram/) keeps Telegram's contract: it refuses what
Telegram refuses."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from testkit.fakes.telegram.server import FakeTelegram
from testkit.fakes.telegram.updates import PATIENT_ID
from testkit.telegram_face import telegram_bot


async def test_the_fake_refuses_what_telegram_refuses(fake: FakeTelegram) -> None:
    too_long_data = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="p" * 65)]]
    )
    async with telegram_bot(fake) as bot:
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(PATIENT_ID, "Hi", reply_markup=too_long_data)
        with pytest.raises(TelegramBadRequest, match="too long"):
            await bot.send_message(PATIENT_ID, "😀" * 2049)
    async with telegram_bot(fake, token="42:wrong") as bot:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()

    assert [c.status for c in fake.calls] == [400, 400, 401]
