"""One update answered: translate, ask the dialog, render, send. The webhook and polling share it.

Deciding and sending are two steps. `decide` runs the dialog, whose state is
committed when it returns; `deliver` sends what it decided. The webhook
answers Telegram between the two (see `bot.telegram.sends`), so Telegram
never waits on our calls to Telegram; polling simply does both in turn.

A pressed button is always acknowledged (`answerCallbackQuery`), even when
the dialog has nothing to say (a redelivery), so the patient's spinner stops;
the pressed message then loses its keyboard, so its buttons cannot be
pressed again from there (stale buttons elsewhere are the dialog's to spot).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, TelegramMethod
from aiogram.types import Message, Update

from bot.dialog import Dialog
from bot.telegram.outbox import Outbox, Sent
from bot.telegram.render import render
from bot.telegram.translate import translate
from core.vocab import Channel


class DialogFailed(Exception):
    """The dialog raised; its delivery was forgotten, so a redelivery is handled afresh."""


@dataclass(frozen=True)
class Answer:
    """What one update needs sent, in order: acknowledgements, then each reply's methods."""

    chat_id: int | None
    acks: tuple[TelegramMethod[Any], ...] = ()
    replies: tuple[tuple[TelegramMethod[Any], ...], ...] = ()


async def decide(update: Update, dialog: Dialog) -> Answer:
    """Run the dialog on `update`; `DialogFailed` when it raised (nothing is sent then)."""
    query = update.callback_query
    acks: list[TelegramMethod[Any]] = []
    if query is not None:
        acks.append(AnswerCallbackQuery(callback_query_id=query.id))
    incoming = translate(update)
    if incoming is None:
        return Answer(None, tuple(acks))
    try:
        replies = await dialog.handle(incoming)
    except Exception as exc:
        await dialog.services.conversations.forget_delivery(Channel.TELEGRAM, incoming.delivery_id)
        raise DialogFailed(type(exc).__name__) from exc
    if query is not None and isinstance(query.message, Message):
        pressed = query.message
        acks.append(
            EditMessageReplyMarkup(
                chat_id=pressed.chat.id, message_id=pressed.message_id, reply_markup=None
            )
        )
    chat_id = int(incoming.chat_id)
    return Answer(chat_id, tuple(acks), tuple(tuple(render(chat_id, r)) for r in replies))


async def deliver(answer: Answer, outbox: Outbox) -> None:
    """Send what `decide` decided, in order; never raises (the outbox logs failures)."""
    for method in answer.acks:
        await outbox.call(method)
    for methods in answer.replies:
        if await outbox.deliver(methods) is Sent.UNREACHABLE:
            return


async def answer_update(update: Update, dialog: Dialog, outbox: Outbox) -> None:
    """Decide and deliver in one go (long polling)."""
    await deliver(await decide(update, dialog), outbox)
