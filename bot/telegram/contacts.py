"""Telegram as a way to reach a card's contact: the courier's `ContactSender` for chats
already linked to a card (a linking code for another channel goes to them first)."""

from __future__ import annotations

from aiogram import Bot


class TelegramChats:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, address: str, text: str) -> None:
        """Deliver to chat `address`, or raise (blocked, unknown chat): the courier moves on."""
        await self.bot.send_message(chat_id=int(address), text=text, parse_mode=None)
