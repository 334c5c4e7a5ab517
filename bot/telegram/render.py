"""A `Reply` as Bot API calls: pure, so what the patient will see is tested without a server.

Choices a Telegram message forces on us:
- A message carries one `reply_markup`. A reply that both offers buttons and
  asks for the phone sends its text with the inline buttons, then a short
  message carrying the contact keyboard (which Telegram shows under the input
  field, whatever message it came with); no button is dropped.
- Texts longer than a message are split, at a line break when there is one;
  the buttons go with the last part.
- Plain text only (`parse_mode=None`): a clinic's or a patient's `<` or `*`
  must never be read as markup.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendDocument, SendMessage, TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.chat import Button, Reply

MAX_MESSAGE_UNITS = 4096  # Telegram's limit; counted here in UTF-16 units, the stricter reading
CONTACT_PROMPT = "📱"  # the text of the message that only carries the contact keyboard
EMPTY_TEXT = "…"  # for a reply with keyboards but no text


def render(chat_id: int, reply: Reply) -> list[TelegramMethod[Any]]:
    """The calls that show `reply` in the chat, in order."""
    methods: list[TelegramMethod[Any]] = []
    keyboard = inline_keyboard(reply.buttons)
    contact = contact_keyboard(reply.ask_contact) if reply.ask_contact else None
    text = reply.text
    if not text.strip() and (keyboard is not None or contact is not None):
        text = EMPTY_TEXT  # Telegram refuses empty texts; the keyboards need a message
    parts = split_text(text) if text.strip() else []
    for i, part in enumerate(parts):
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
        if i == len(parts) - 1:
            markup = keyboard or contact
        methods.append(_message(chat_id, part, markup))
    if contact is not None and keyboard is not None:
        methods.append(_message(chat_id, CONTACT_PROMPT, contact))
    if reply.attachment is not None:
        file = BufferedInputFile(reply.attachment.content, filename=reply.attachment.filename)
        methods.append(SendDocument(chat_id=chat_id, document=file, parse_mode=None))
    return methods


def inline_keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Rows of callback buttons; each payload is the callback_data, verbatim."""
    keyboard = [
        [InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """One button that shares the patient's own, Telegram-verified phone number."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units, cut after a line break if possible."""
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        cut = _fitting_prefix(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline >= cut // 2:
            cut = newline + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The length of the longest prefix of `text` within `limit` UTF-16 units."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _message(
    chat_id: int, text: str, markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None
) -> SendMessage:
    return SendMessage(chat_id=chat_id, text=text, reply_markup=markup, parse_mode=None)
