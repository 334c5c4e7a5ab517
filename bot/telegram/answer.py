"""One update answered: translate, ask the dialog, render, send. The webhook and polling share it.

A pressed button is always acknowledged (`answerCallbackQuery`), even when
the dialog has nothing to say (a redelivery), so the patient's spinner stops;
the pressed message then loses its keyboard, so its buttons cannot be
pressed again from there (stale buttons elsewhere are the dialog's to spot).
"""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup
from aiogram.types import Message, Update

from bot.dialog import Dialog
from bot.telegram.outbox import Outbox, Sent
from bot.telegram.render import render
from bot.telegram.translate import translate
from core.vocab import Channel


class DialogFailed(Exception):
    """The dialog raised; its delivery was forgotten, so a redelivery is handled afresh."""


async def answer_update(update: Update, dialog: Dialog, outbox: Outbox) -> None:
    """Answer `update`; `DialogFailed` when the dialog raised (sending never raises)."""
    query = update.callback_query
    if query is not None:
        await outbox.call(AnswerCallbackQuery(callback_query_id=query.id))
    incoming = translate(update)
    if incoming is None:
        return
    try:
        replies = await dialog.handle(incoming)
    except Exception as exc:
        await dialog.services.conversations.forget_delivery(Channel.TELEGRAM, incoming.delivery_id)
        raise DialogFailed(type(exc).__name__) from exc
    if query is not None and isinstance(query.message, Message):
        pressed = query.message
        await outbox.call(
            EditMessageReplyMarkup(
                chat_id=pressed.chat.id, message_id=pressed.message_id, reply_markup=None
            )
        )
    chat_id = int(incoming.chat_id)
    for reply in replies:
        if await outbox.deliver(render(chat_id, reply)) is Sent.UNREACHABLE:
            return
