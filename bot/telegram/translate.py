"""A Telegram `Update` as an `Incoming`: pure, and strict about what counts as the patient's.

- Private chats only: in a group, other members would read the patient's
  visits, so group updates are ignored.
- A shared contact is the patient's phone only when it is their own
  (`contact.user_id == from_user.id`); a forwarded contact card of someone
  else reaches the dialog as a message with no text and no phone.
- `/start PAYLOAD` (a deep link) stays text; the dialog reads the payload.
- Update kinds we did not ask for (`allowed_updates`) give None: ignored.
"""

from __future__ import annotations

from aiogram.enums import ChatType, ContentType
from aiogram.types import CallbackQuery, Message, Update

from bot.chat import MAX_TEXT_CHARS, Incoming
from core.vocab import Channel


def translate(update: Update) -> Incoming | None:
    """What the patient did in this update, or None when it is nothing for the dialog."""
    if update.message is not None:
        return _from_message(update.update_id, update.message)
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query)
    return None


def _from_message(update_id: int, message: Message) -> Incoming | None:
    user = message.from_user
    if user is None or user.is_bot or message.chat.type != ChatType.PRIVATE:
        return None
    text = message.text[:MAX_TEXT_CHARS] if message.text is not None else None
    phone = None
    extras: dict[str, str] = {}
    contact = message.contact
    if contact is not None and contact.user_id == user.id:
        phone = _international(contact.phone_number)
    elif text is None:
        # a photo, a sticker, a forwarded contact...: the dialog may say what it understands
        extras["content_type"] = ContentType(message.content_type).value
    return Incoming(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        delivery_id=str(update_id),
        text=text,
        shared_phone=phone,
        language_hint=user.language_code,
        extras=extras,
    )


def _from_callback(update_id: int, query: CallbackQuery) -> Incoming | None:
    message = query.message
    if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
        return None  # an inline-mode message, a group, or a game button: not ours
    return Incoming(
        channel=Channel.TELEGRAM,
        chat_id=str(message.chat.id),
        delivery_id=str(update_id),
        payload=query.data,
        language_hint=query.from_user.language_code,
    )


def _international(phone: str) -> str:
    """Telegram sends contact phones mostly without the "+" ("48501234567")."""
    phone = phone.strip()
    return phone if phone.startswith("+") else "+" + phone
